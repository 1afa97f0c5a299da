-- Runs once, when the postgresql service initialises an empty data volume.
-- Temporal keeps its own databases (temporal, temporal_visibility, created by auto-setup);
-- callflow's project store gets a separate role and database on the same server.
CREATE ROLE callflow LOGIN PASSWORD 'callflow';
CREATE DATABASE callflow OWNER callflow;
