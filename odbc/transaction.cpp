#include "odbc/transaction.h"

#include "core/log.h"

namespace zcrmsync::odbc {

Result<Transaction> Transaction::Begin(Connection& connection) {
  const bool was_on = connection.autocommit();
  if (was_on) {
    Status s = connection.SetAutocommit(false);
    if (!s.ok()) return Error(s.WithContext("begin transaction"));
  }
  return Transaction(connection, was_on);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_),
      restore_autocommit_(other.restore_autocommit_),
      finished_(other.finished_) {
  other.connection_ = nullptr;
}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  if (!finished_) {
    Status s = connection_->Rollback();
    if (!s.ok()) {
      log::Logger("odbc").Warn("rollback of an abandoned transaction failed",
                               {{"error", s.message()}});
    }
  }
  Finish();
}

void Transaction::Finish() {
  finished_ = true;
  if (restore_autocommit_) {
    restore_autocommit_ = false;
    Status s = connection_->SetAutocommit(true);
    if (!s.ok()) {
      log::Logger("odbc").Warn("could not restore autocommit", {{"error", s.message()}});
    }
  }
}

Status Transaction::Commit() {
  if (!active()) return FailedPreconditionError("commit: the transaction is already finished");
  Status s = connection_->Commit();
  if (s.ok()) Finish();
  return s;
}

Status Transaction::Rollback() {
  if (!active()) return FailedPreconditionError("rollback: the transaction is already finished");
  Status s = connection_->Rollback();
  Finish();
  return s;
}

}  // namespace zcrmsync::odbc
