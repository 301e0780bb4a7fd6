// Transaction: a scoped transaction. Begin() turns autocommit off; the
// destructor rolls back unless Commit() succeeded, then restores autocommit
// if it was on. Move-only. REQUIRES: the connection outlives the transaction.
#pragma once

#include "core/result.h"
#include "odbc/connection.h"

namespace zcrmsync::odbc {

class Transaction {
 public:
  static Result<Transaction> Begin(Connection& connection);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // After a failed commit the transaction is rolled back by the destructor.
  Status Commit();
  Status Rollback();
  bool active() const { return connection_ != nullptr && !finished_; }

 private:
  Transaction(Connection& connection, bool restore_autocommit)
      : connection_(&connection), restore_autocommit_(restore_autocommit) {}
  void Finish();

  Connection* connection_;
  bool restore_autocommit_;
  bool finished_ = false;
};

}  // namespace zcrmsync::odbc
