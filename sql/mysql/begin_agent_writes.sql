-- zcrmsync: marks the session's writes as the agent's own, so the capture
-- triggers skip them (echo suppression). A session variable outlives COMMIT:
-- end_agent_writes.sql must run after each agent transaction.
-- Tokens: none. No parameters.
SET @zcrmsync_origin = 'agent'
