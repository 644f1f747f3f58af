"""The measuring half of `npm run bench:flight`: run by scripts/bench/flight.ts inside the bench's
venv against a gateway that script started. Progress goes to stderr; the last stdout line is one
JSON object with every measurement, which the Node side prints as tables.

Three paths read the same TPC-H data:
  edge       ADBC (adbc_driver_flightsql) through the Flight SQL edge, fetch_arrow_table
  duckdb     the same DuckDB version in this process, .fetch_arrow_table() (the limit)
  postgres   libpq through psycopg, COPY ... TO STDOUT (FORMAT binary) read to the end
"""

import argparse
import json
import socket
import statistics
import sys
import threading
import time

import adbc_driver_flightsql.dbapi as flightsql
import duckdb
import psycopg
from adbc_driver_flightsql import DatabaseOptions


def log(message):
    print(f"[bench:flight] {message}", file=sys.stderr, flush=True)


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def median_of(repeats, fn):
    """Runs fn once to warm up, then `repeats` times; returns the median seconds and the last result."""
    fn()
    seconds = []
    result = None
    for _ in range(repeats):
        elapsed, result = timed(fn)
        seconds.append(elapsed)
    return statistics.median(seconds), result


def edge_connect(args, port=None):
    return flightsql.connect(
        f"grpc://{args.host}:{port or args.port}",
        db_kwargs={
            "username": args.user,
            "password": args.password,
            DatabaseOptions.TIMEOUT_FETCH.value: "600",
            DatabaseOptions.TIMEOUT_QUERY.value: "600",
            DatabaseOptions.TIMEOUT_UPDATE.value: "600",
        },
        autocommit=True,
    )


def edge_fetch(connection, sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetch_arrow_table()


def local_fetch(local, sql):
    return local.execute(sql).to_arrow_table()


def pg_copy_bytes(pg_url, sql):
    total = 0
    with psycopg.connect(pg_url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                total += len(chunk)
    return total


class Relay:
    """A TCP relay in front of the edge whose two sockets have TCP_NODELAY set as asked: with it
    off, each small gRPC frame the relay forwards waits on Nagle's algorithm, which is what a peer
    without TCP_NODELAY would cost the round trip."""

    def __init__(self, host, port, nodelay):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        self.target = (host, port)
        self.nodelay = 1 if nodelay else 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=30)
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, self.nodelay)
                self.sockets.append(sock)
            threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(1 << 16):
                sink.sendall(data)
        except OSError:
            pass
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            sock.close()


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--sf", type=float, required=True)
    parser.add_argument("--extension-dir", required=True)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pings", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--replay-port", type=int, required=True)
    args = parser.parse_args()
    out = {"sf": args.sf}

    log(f"CALL dbgen(sf={args.sf}) in-process")
    local = duckdb.connect(
        config={"extension_directory": args.extension_dir, "autoinstall_known_extensions": False}
    )
    local.execute("LOAD tpch")
    out["local_dbgen_s"], _ = timed(lambda: local.execute(f"CALL dbgen(sf={args.sf})"))
    rows = local.execute("SELECT count(*) FROM lineitem").fetchone()[0]
    out["rows"] = rows

    log("copying lineitem into PostgreSQL through DuckDB's postgres extension")
    local.execute("LOAD postgres")
    local.execute(f"ATTACH '{args.pg_url}' AS pg (TYPE postgres)")
    out["pg_load_s"], _ = timed(lambda: local.execute("CREATE TABLE pg.lineitem AS SELECT * FROM lineitem"))
    local.execute("DETACH pg")
    with psycopg.connect(args.pg_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE lineitem")

    # The edge's DuckDB reads no files and loads no extensions (ADR 0011), so its copy comes the
    # way a user's would: from the read-only `postgres` catalog into the `duckdb` scratch catalog.
    log("copying lineitem into the edge's duckdb catalog from its postgres catalog (a Flight SQL update)")
    edge = edge_connect(args)
    out["edge_load_s"], _ = timed(
        lambda: edge_fetch(edge, "CREATE TABLE lineitem AS SELECT * FROM postgres.public.lineitem")
    )
    edge_rows = edge_fetch(edge, "SELECT count(*) AS n FROM lineitem").column(0)[0].as_py()
    if edge_rows != rows:
        raise SystemExit(f"the edge holds {edge_rows} lineitem rows, in-process DuckDB {rows}")

    scan = "SELECT * FROM lineitem"
    log(f"full scan, in-process DuckDB ({args.repeats} runs after a warm-up)")
    local_s, table = median_of(args.repeats, lambda: local_fetch(local, scan))
    arrow_bytes = table.nbytes
    schema = table.schema
    del table
    log(f"full scan, ADBC through the edge ({args.repeats} runs after a warm-up)")
    edge_s, table = median_of(args.repeats, lambda: edge_fetch(edge, scan))
    if table.num_rows != rows:
        raise SystemExit(f"the edge returned {table.num_rows} of {rows} rows")
    edge_schema = table.schema
    out["edge_batches"] = len(table.to_batches())
    del table
    log(f"full scan, ADBC through the edge's transport alone, batches replayed ({args.repeats} runs after a warm-up)")
    replay = edge_connect(args, args.replay_port)
    replay_s, table = median_of(args.repeats, lambda: edge_fetch(replay, scan))
    if table.num_rows != rows:
        raise SystemExit(f"the transport probe returned {table.num_rows} of {rows} rows")
    del table
    replay.close()
    log(f"full scan, PostgreSQL COPY binary through libpq ({args.repeats} runs after a warm-up)")
    pg_s, wire_bytes = median_of(args.repeats, lambda: pg_copy_bytes(args.pg_url, scan))
    out["scan"] = {
        "arrow_bytes": arrow_bytes,
        "pg_wire_bytes": wire_bytes,
        "edge_s": edge_s,
        "local_s": local_s,
        "pg_s": pg_s,
        "replay_s": replay_s,
        "schemas_equal": edge_schema.equals(schema),
        "edge_schema": str(edge_schema),
    }

    queries = {
        number: text.strip().rstrip(";")
        for number, text in local.execute("SELECT query_nr, query FROM tpch_queries() WHERE query_nr IN (1, 6)").fetchall()
    }
    out["tpch"] = {}
    for number, sql in sorted(queries.items()):
        log(f"TPC-H Q{number}")
        local_q, expected = median_of(args.repeats, lambda: local_fetch(local, sql))
        edge_q, got = median_of(args.repeats, lambda: edge_fetch(edge, sql))
        pg_q, _ = median_of(args.repeats, lambda: pg_copy_bytes(args.pg_url, sql))
        out["tpch"][f"Q{number}"] = {
            "edge_s": edge_q,
            "local_s": local_q,
            "pg_s": pg_q,
            "rows": got.num_rows,
            "same_result": got.to_pylist() == expected.to_pylist(),
        }

    relay_pings = min(args.pings, 200)
    log(
        f"SELECT 1 round trips: {args.pings} through the edge, {args.pings} in-process, "
        f"{relay_pings} through a relay with TCP_NODELAY on, then off"
    )

    def pings(fetch, count=args.pings):
        samples = []
        for _ in range(count):
            elapsed, _ = timed(fetch)
            samples.append(elapsed)
        samples.sort()
        return {"p50_s": percentile(samples, 0.5), "p99_s": percentile(samples, 0.99), "max_s": samples[-1]}

    edge_fetch(edge, "SELECT 1")
    out["ping"] = {
        "edge": pings(lambda: edge_fetch(edge, "SELECT 1")),
        "local": pings(lambda: local_fetch(local, "SELECT 1")),
    }
    for nodelay in (True, False):
        relay = Relay(args.host, args.port, nodelay)
        relayed = edge_connect(args, relay.port)
        try:
            edge_fetch(relayed, "SELECT 1")
            out["ping"]["relay_nodelay" if nodelay else "relay_nagle"] = pings(
                lambda: edge_fetch(relayed, "SELECT 1"), relay_pings
            )
        finally:
            relayed.close()
            relay.close()

    # A mid-size query: about 1/60 of lineitem (100k rows at SF1), filtered on the sort key.
    mid = f"SELECT * FROM lineitem WHERE l_orderkey <= {int(100_000 * args.sf)}"
    mid_rows = local.execute(f"SELECT count(*) FROM ({mid})").fetchone()[0]
    per_client = 4
    log(f"concurrency: 1 client then {args.clients} clients, {per_client} x ({mid_rows} rows) each")

    def client_run(results, index, barrier):
        connection = edge_connect(args)
        try:
            edge_fetch(connection, "SELECT 1")
            barrier.wait()
            count = 0
            for _ in range(per_client):
                count += edge_fetch(connection, mid).num_rows
            results[index] = count
        finally:
            connection.close()

    def concurrent(clients):
        results = [0] * clients
        barrier = threading.Barrier(clients + 1)
        threads = [threading.Thread(target=client_run, args=(results, i, barrier)) for i in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.perf_counter() - started
        if sum(results) != clients * per_client * mid_rows:
            raise SystemExit(f"{clients} clients read {sum(results)} rows, expected {clients * per_client * mid_rows}")
        return {"clients": clients, "queries": clients * per_client, "rows": sum(results), "s": elapsed}

    out["concurrency"] = {"one": concurrent(1), "many": concurrent(args.clients), "mid_rows": mid_rows}

    edge.close()
    local.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
