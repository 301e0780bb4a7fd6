-- zcrmsync: ends echo suppression for the session.
-- Tokens: none. No parameters.
SET @zcrmsync_origin = NULL
