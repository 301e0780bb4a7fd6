// Early-return helpers for Status and Result<T>, after abseil's status_macros.
//   ZCRMSYNC_RETURN_IF_ERROR(conn.Commit());
//   ZCRMSYNC_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
// Both work inside functions returning Status or Result<T>.
#pragma once

#include <utility>

#include "core/result.h"

#define ZCRMSYNC_CONCAT_INNER_(a, b) a##b
#define ZCRMSYNC_CONCAT_(a, b) ZCRMSYNC_CONCAT_INNER_(a, b)

#define ZCRMSYNC_RETURN_IF_ERROR(expr)                                   \
  do {                                                                   \
    ::zcrmsync::Status zcrmsync_status_ = (expr);                        \
    if (!zcrmsync_status_.ok()) {                                        \
      return ::zcrmsync::internal::ErrorReturn{std::move(zcrmsync_status_)}; \
    }                                                                    \
  } while (false)

#define ZCRMSYNC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr)               \
  auto tmp = (rexpr);                                                  \
  if (!tmp.has_value()) {                                              \
    return ::zcrmsync::internal::ErrorReturn{std::move(tmp).error()};  \
  }                                                                    \
  lhs = std::move(*tmp)

#define ZCRMSYNC_ASSIGN_OR_RETURN(lhs, rexpr) \
  ZCRMSYNC_ASSIGN_OR_RETURN_IMPL_(ZCRMSYNC_CONCAT_(zcrmsync_result_, __LINE__), lhs, rexpr)
