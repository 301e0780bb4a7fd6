# The Windows sources of agent/, shared by agent/CMakeLists.txt (zcrmsync.exe
# in a full Windows build) and tests/windows/CMakeLists.txt (the mingw-w64
# cross build's link check).
set(_zcrmsync_win "${CMAKE_CURRENT_LIST_DIR}")
# agent/service_notify.h and the SCM status it reports: part of agent_lib.
set(ZCRMSYNC_AGENT_WINDOWS_LIB_SRCS
  "${_zcrmsync_win}/service_notify.cpp"
  "${_zcrmsync_win}/service_status.cpp"
  "${_zcrmsync_win}/win32_util.cpp")
# main(), the service dispatcher and `zcrmsync service install|uninstall`.
set(ZCRMSYNC_AGENT_WINDOWS_MAIN_SRCS
  "${_zcrmsync_win}/main.cpp"
  "${_zcrmsync_win}/service.cpp"
  "${_zcrmsync_win}/service_command.cpp"
  "${_zcrmsync_win}/service_options.cpp")
# Service control manager, registry (advapi32); CommandLineToArgvW (shell32).
set(ZCRMSYNC_AGENT_WINDOWS_LIBS advapi32 shell32)
