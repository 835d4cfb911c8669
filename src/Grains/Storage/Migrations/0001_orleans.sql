-- Storage for the Orleans 10 ADO.NET providers (invariant "Npgsql"): clustering
-- (Microsoft.Orleans.Clustering.AdoNet), grain persistence (Microsoft.Orleans.Persistence.AdoNet)
-- and reminders (Microsoft.Orleans.Reminders.AdoNet).
--
-- The Orleans packages ship no SQL. At start-up each provider reads its statements from
-- `SELECT QueryKey, QueryText FROM OrleansQuery` and runs them with named parameters
-- (@DeploymentId, @Version, @GrainStateVersion, ...). This file was written from the providers'
-- documented contract (the keys they load, the parameters they bind, the columns their readers
-- look up), not copied from the Orleans scripts.
--
-- Contract notes:
--   * Identifiers are unquoted, so PostgreSQL folds them to lower case. The providers look result
--     columns up by name ("Version", "StartTime", ...) and Npgsql's GetOrdinal falls back to a
--     case-insensitive match, so lower-case result columns are found.
--   * Every DateTime the providers bind goes out as DbType.DateTime, which Npgsql sends as
--     timestamptz and accepts only with DateTimeKind.Utc; hence timestamptz columns and arguments.
--   * Membership: one version row per cluster (DeploymentId = ClusterId). A write that carries a
--     stale @Version changes nothing and answers false; a successful insert/update of a silo row
--     bumps the version by one in the same statement.
--   * Grain state: @GrainStateVersion is the ETag the grain holds (NULL before the first write).
--     A write, clear or delete with a stale ETag changes nothing and returns no version, which
--     the provider turns into an InconsistentStateException; otherwise it returns the new one.
--   * Reminders: the row version is the reminder's ETag; the grain hash is the uint ring hash
--     cast to a signed int, and ring ranges are (@BeginHash, @EndHash].
--
-- Applied once, in one transaction, with the whole file sent as a single multi-statement command;
-- it is nonetheless written to be re-runnable (IF NOT EXISTS, OR REPLACE, upserts).

CREATE TABLE IF NOT EXISTS orleansquery (
    querykey  varchar(64) NOT NULL PRIMARY KEY,
    querytext text        NOT NULL
);

-- ---------------------------------------------------------------------------------------------
-- Clustering
-- ---------------------------------------------------------------------------------------------

-- One row per cluster; `version` is the membership table's optimistic-concurrency token.
CREATE TABLE IF NOT EXISTS orleansmembershipversiontable (
    deploymentid text        NOT NULL PRIMARY KEY,
    version      integer     NOT NULL DEFAULT 0,
    modifiedon   timestamptz NOT NULL DEFAULT now()
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS orleansmembershiptable (
    deploymentid text        NOT NULL REFERENCES orleansmembershipversiontable (deploymentid),
    address      text        NOT NULL,
    port         integer     NOT NULL,
    generation   integer     NOT NULL,
    siloname     text        NOT NULL,
    hostname     text        NOT NULL,
    status       integer     NOT NULL,
    proxyport    integer     NOT NULL DEFAULT 0,
    suspecttimes text,        -- "silo,date|silo,date", as formatted by the provider
    starttime    timestamptz NOT NULL,
    iamalivetime timestamptz NOT NULL,
    PRIMARY KEY (deploymentid, address, port, generation)
);

-- Adds a silo row, provided the cluster's version still equals p_version; then bumps the version.
-- Holding the version row's lock serialises all membership writers of the cluster.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_siloname     text,
    p_hostname     text,
    p_status       integer,
    p_proxyport    integer,
    p_starttime    timestamptz,
    p_iamalivetime timestamptz,
    p_version      integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleansmembershipversiontable
    WHERE deploymentid = p_deploymentid AND version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;   -- unknown cluster or stale version
    END IF;

    INSERT INTO orleansmembershiptable (
        deploymentid, address, port, generation, siloname, hostname,
        status, proxyport, suspecttimes, starttime, iamalivetime)
    VALUES (
        p_deploymentid, p_address, p_port, p_generation, coalesce(p_siloname, ''), coalesce(p_hostname, ''),
        p_status, coalesce(p_proxyport, 0), NULL, p_starttime, p_iamalivetime)
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;   -- that silo incarnation is already registered
    END IF;

    UPDATE orleansmembershipversiontable
    SET version = version + 1, modifiedon = now()
    WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$fn$;

-- Changes a silo row's status, suspicions and heartbeat, provided the cluster's version still
-- equals p_version; then bumps the version.
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deploymentid text,
    p_address      text,
    p_port         integer,
    p_generation   integer,
    p_status       integer,
    p_suspecttimes text,
    p_iamalivetime timestamptz,
    p_version      integer)
RETURNS boolean
LANGUAGE plpgsql
AS $fn$
BEGIN
    PERFORM 1
    FROM orleansmembershipversiontable
    WHERE deploymentid = p_deploymentid AND version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;   -- unknown cluster or stale version
    END IF;

    UPDATE orleansmembershiptable
    SET status = p_status, suspecttimes = p_suspecttimes, iamalivetime = p_iamalivetime
    WHERE deploymentid = p_deploymentid
      AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;   -- no such silo row
    END IF;

    UPDATE orleansmembershipversiontable
    SET version = version + 1, modifiedon = now()
    WHERE deploymentid = p_deploymentid;
    RETURN true;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('InsertMembershipVersionKey', $q$
    WITH created AS (
        INSERT INTO orleansmembershipversiontable (deploymentid, version, modifiedon)
        VALUES (@DeploymentId, 0, now())
        ON CONFLICT (deploymentid) DO NOTHING
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM created) AS created
$q$),
('InsertMembershipKey', $q$
    SELECT orleans_membership_insert(
        @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
        @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS succeeded
$q$),
('UpdateMembershipKey', $q$
    SELECT orleans_membership_update(
        @DeploymentId, @Address, @Port, @Generation,
        @Status, @SuspectTimes, @IAmAliveTime, @Version) AS succeeded
$q$),
-- Heartbeat: touches only the silo's own row and leaves the version alone.
('UpdateIAmAlivetimeKey', $q$
    UPDATE orleansmembershiptable
    SET iamalivetime = @IAmAliveTime
    WHERE deploymentid = @DeploymentId
      AND address = @Address AND port = @Port AND generation = @Generation
$q$),
-- Both reads return the version row even when no silo row matches (the silo columns are then
-- NULL, which the reader takes as "no entry"), so the table version is always known.
('MembershipReadRowKey', $q$
    SELECT v.deploymentid, v.version,
           m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
           m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m
           ON m.deploymentid = v.deploymentid
          AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    WHERE v.deploymentid = @DeploymentId
$q$),
('MembershipReadAllKey', $q$
    SELECT v.deploymentid, v.version,
           m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
           m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
    FROM orleansmembershipversiontable v
    LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
    WHERE v.deploymentid = @DeploymentId
$q$),
-- Gateways for clients: silos in @Status (Active) that listen for clients.
('GatewaysQueryKey', $q$
    SELECT address, proxyport, generation
    FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId AND status = @Status AND proxyport > 0
$q$),
('DeleteMembershipTableEntriesKey', $q$
    WITH silos AS (
        DELETE FROM orleansmembershiptable WHERE deploymentid = @DeploymentId)
    DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId
$q$),
-- Bulk clean-up of Dead (6) silos not heard from since @IAmAliveTime. Only used by the provider
-- when CleanupDefunctSiloEntryKey below is absent.
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND status = 6
      AND iamalivetime < @IAmAliveTime
      AND starttime < @IAmAliveTime
$q$),
-- Optional key the provider prefers: it picks the defunct Dead rows itself and deletes each one
-- only if the row still holds exactly the values it read. The version is not changed.
('CleanupDefunctSiloEntryKey', $q$
    DELETE FROM orleansmembershiptable
    WHERE deploymentid = @DeploymentId
      AND address = @Address AND port = @Port AND generation = @Generation
      AND status = 6
      AND starttime = @StartTime
      AND iamalivetime = @IAmAliveTime
      AND coalesce(suspecttimes, '') = coalesce(@SuspectTimes, '')
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- ---------------------------------------------------------------------------------------------
-- Grain persistence
-- ---------------------------------------------------------------------------------------------

-- One row per (service, grain type, grain id). The provider also sends 32-bit hashes of the grain
-- id and type; they lead the key so that lookups stay on integer columns. A NULL key extension
-- is stored as ''. `payloadbinary` is NULL after a clear that keeps the row; `version` is the ETag.
CREATE TABLE IF NOT EXISTS orleansstorage (
    serviceid              text        NOT NULL,
    graintypehash          integer     NOT NULL,
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    graintypestring        text        NOT NULL,
    grainidextensionstring text        NOT NULL DEFAULT '',
    payloadbinary          bytea,
    version                integer     NOT NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now()
);

-- Identity of a stored state. The two free-text parts are indexed through md5 so that long string
-- keys cannot exceed the b-tree entry size.
CREATE UNIQUE INDEX IF NOT EXISTS orleansstorage_identity ON orleansstorage (
    serviceid, graintypehash, grainidhash, grainidn0, grainidn1,
    md5(graintypestring), md5(grainidextensionstring));

-- Writes a grain's state. With no expected version (the grain has never been stored) it creates
-- the row at version 1; otherwise it replaces the payload only if the row is at p_expected.
-- Returns the new version, or NULL when the expected version is stale.
CREATE OR REPLACE FUNCTION orleans_storage_write(
    p_serviceid       text,
    p_graintypehash   integer,
    p_graintype       text,
    p_grainidhash     integer,
    p_grainidn0       bigint,
    p_grainidn1       bigint,
    p_grainidext      text,
    p_expected        integer,
    p_payload         bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_expected IS NULL THEN
        INSERT INTO orleansstorage (
            serviceid, graintypehash, grainidhash, grainidn0, grainidn1,
            graintypestring, grainidextensionstring, payloadbinary, version, modifiedon)
        VALUES (
            p_serviceid, p_graintypehash, p_grainidhash, p_grainidn0, p_grainidn1,
            p_graintype, coalesce(p_grainidext, ''), p_payload, 1, now())
        ON CONFLICT DO NOTHING
        RETURNING version INTO v_new;
    ELSE
        UPDATE orleansstorage
        SET payloadbinary = p_payload, version = version + 1, modifiedon = now()
        WHERE serviceid = p_serviceid
          AND graintypehash = p_graintypehash AND grainidhash = p_grainidhash
          AND grainidn0 = p_grainidn0 AND grainidn1 = p_grainidn1
          AND graintypestring = p_graintype
          AND grainidextensionstring = coalesce(p_grainidext, '')
          AND version = p_expected
        RETURNING version INTO v_new;
    END IF;
    RETURN v_new;
END;
$fn$;

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
    SELECT payloadbinary, version
    FROM orleansstorage
    WHERE serviceid = @ServiceId
      AND graintypehash = @GrainTypeHash AND grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring = coalesce(@GrainIdExtensionString, '')
$q$),
('WriteToStorageKey', $q$
    SELECT orleans_storage_write(
        @ServiceId, @GrainTypeHash, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
        @GrainIdExtensionString, @GrainStateVersion, @PayloadBinary) AS newgrainstateversion
$q$),
-- Clear that keeps the row (and so the version sequence): drops the payload, bumps the version.
('ClearStorageKey', $q$
    UPDATE orleansstorage
    SET payloadbinary = NULL, version = version + 1, modifiedon = now()
    WHERE serviceid = @ServiceId
      AND graintypehash = @GrainTypeHash AND grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring = coalesce(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version
$q$),
-- Clear with DeleteStateOnClear = true: removes the row. It answers the version the row would
-- have had next, so that the provider sees a value different from the ETag it sent.
('DeleteStorageKey', $q$
    DELETE FROM orleansstorage
    WHERE serviceid = @ServiceId
      AND graintypehash = @GrainTypeHash AND grainidhash = @GrainIdHash
      AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1
      AND graintypestring = @GrainTypeString
      AND grainidextensionstring = coalesce(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version + 1 AS version
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- ---------------------------------------------------------------------------------------------
-- Reminders
-- ---------------------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS orleansremindertable (
    serviceid    text        NOT NULL,
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    starttime    timestamptz NOT NULL,
    period       bigint      NOT NULL,   -- milliseconds
    grainhash    integer     NOT NULL,   -- uint ring hash, stored as signed int
    version      integer     NOT NULL,
    PRIMARY KEY (serviceid, grainid, remindername)
);

CREATE INDEX IF NOT EXISTS orleansremindertable_ring ON orleansremindertable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES
('UpsertReminderRowKey', $q$
    INSERT INTO orleansremindertable AS r
        (serviceid, grainid, remindername, starttime, period, grainhash, version)
    VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
    ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
    SET starttime = EXCLUDED.starttime,
        period = EXCLUDED.period,
        grainhash = EXCLUDED.grainhash,
        version = r.version + 1
    RETURNING version
$q$),
('ReadReminderRowKey', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansremindertable
    WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
$q$),
('ReadReminderRowsKey', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansremindertable
    WHERE serviceid = @ServiceId AND grainid = @GrainId
$q$),
-- Ring range (@BeginHash, @EndHash] that does not wrap in signed order (used when Begin < End).
('ReadRangeRows1Key', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansremindertable
    WHERE serviceid = @ServiceId
      AND grainhash > @BeginHash AND grainhash <= @EndHash
$q$),
-- Ring range that wraps (used when Begin >= End; Begin = End means the whole ring).
('ReadRangeRows2Key', $q$
    SELECT grainid, remindername, starttime, period, version
    FROM orleansremindertable
    WHERE serviceid = @ServiceId
      AND (grainhash > @BeginHash OR grainhash <= @EndHash)
$q$),
('DeleteReminderRowKey', $q$
    WITH removed AS (
        DELETE FROM orleansremindertable
        WHERE serviceid = @ServiceId AND grainid = @GrainId AND remindername = @ReminderName
          AND version = @Version
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM removed) AS removed
$q$),
('DeleteReminderRowsKey', $q$
    DELETE FROM orleansremindertable WHERE serviceid = @ServiceId
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
