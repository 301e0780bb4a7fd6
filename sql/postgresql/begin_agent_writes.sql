-- zcrmsync: marks the current transaction as the agent's own, so the capture
-- triggers skip its writes (echo suppression). Transaction-local: it needs
-- autocommit off, and ends with the transaction.
-- Tokens: none. No parameters.
SET LOCAL zcrmsync.origin = 'agent'
