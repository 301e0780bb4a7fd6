# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (the posix
# threads flavour: GCC 12's win32 flavour has no std::thread or std::mutex).
#   cmake -S . -B build/win -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake
# Only the sysroot under /usr/x86_64-w64-mingw32 is searched for libraries and
# headers, so nothing built for Linux is picked up by mistake.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(ZCRMSYNC_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${ZCRMSYNC_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${ZCRMSYNC_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${ZCRMSYNC_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${ZCRMSYNC_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# One self-contained .exe: no libstdc++/libgcc/winpthread DLLs to ship beside it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# -O2, not CMake's -O3 for Release: at -O3 GCC 12 reports a false
# -Werror=restrict inside libstdc++'s std::string (GCC bug 105329).
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Flags for Release builds (mingw-w64)")
