-- Runs once when the mysql volume is created: a database and user for
-- StocKing, for deployments that keep StocKing's data on MySQL. Temporal
-- creates its own databases (temporal, temporal_visibility) at start.
CREATE DATABASE IF NOT EXISTS stocking CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'stocking'@'%' IDENTIFIED BY 'stocking';
GRANT ALL PRIVILEGES ON stocking.* TO 'stocking'@'%';
