"""The `harvester` command line.

Every expected failure (unknown portal, unreadable registry, unwritable data directory,
unreachable database) is one line on stderr and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXIT_USAGE = 2
EXIT_BUSY = 3  # a portal, or a host it shares, is being harvested by another process


class CliError(Exception):
    """Reported as one line: `harvester: error: …`."""


def _config(args):
    from harvester.config import Config

    return Config.from_env(data=args.data, db=args.db, portals=args.portals, archive=getattr(args, "archive", None),
                           redis=getattr(args, "redis", None))


def _open_db(cfg, *, prepare: bool = True):
    from storage.database import open_database

    if prepare:
        cfg.prepare()
    return open_database(cfg.db_url)


def _chosen_portals(cfg, args, verb: str):
    """The registry entries named on the command line (``PORTAL_ID …`` or ``--all``)."""
    from harvester.registry import load_registry, select

    entries = load_registry(cfg.registry)
    if args.all and args.portal_ids:
        raise CliError("give portal ids or --all, not both")
    if not args.all and not args.portal_ids:
        raise CliError(f"name the portals to {verb}, or --all")
    return entries if args.all else select(entries, args.portal_ids)


# -- subcommands -------------------------------------------------------------------------------
def cmd_crawl(args) -> int:
    from harvester.crawl import run_crawl

    cfg = _config(args)
    chosen = _chosen_portals(cfg, args, "crawl")
    db = _open_db(cfg)
    overrides = _setting_overrides(args)
    live = None
    progress = {}
    if not args.quiet:
        from harvester.recrawl import LiveLine

        live = LiveLine(sys.stdout, log_every=0.0)
        # In a terminal the live line replaces Scrapy's INFO log (unless LOG_LEVEL is --set);
        # piped, the progress is a plain timestamped line every 10 s beside the log.
        if live.tty:
            overrides.setdefault("LOG_LEVEL", "WARNING")
        progress = {"progress": live.show, "progress_every": 1.0 if live.tty else 10.0, "before_log": live.clear}
    try:
        run_ids, refused = run_crawl(
            db, chosen, str(cfg.archive_dir), overrides, mode="full" if args.full else "auto",
            purpose=args.purpose, wait=args.wait, **progress,
        )
    finally:
        if live is not None:
            live.close()
    for pid, why in refused:
        print(f"{pid}: refused — {why}", file=sys.stderr)
    status = _print_run_summary(db, run_ids) if run_ids else 0
    if _storage_stopped():
        return 1
    _notify(cfg, db)
    if refused:
        return EXIT_BUSY
    return status


def _storage_stopped() -> bool:
    """A full or read-only disk stopped the harvest: say so (one line) and why."""
    from storage.failure import GUARD

    if GUARD.cause is None:
        return False
    print(f"harvester: error: harvest stopped: {GUARD.cause}; free some room (or make it writable) and harvest "
          "again: what was archived is recovered", file=sys.stderr)
    return True


def _notify(cfg, db) -> None:
    from harvester.notify import Notifier

    notifier = Notifier(cfg.notify)
    if notifier.enabled:
        for line in notifier.send_new_events(db):
            print(line, file=sys.stderr)


def _setting_overrides(args) -> dict:
    out = {}
    for item in getattr(args, "set", None) or []:
        if "=" not in item:
            raise CliError(f"--set expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k] = v
    if getattr(args, "quiet", False):
        out["LOG_LEVEL"] = "WARNING"
    return out


# worst first: the statuses that need a look, then the most errors
_STATUS_RANK = {"failed": 0, "blocked": 1, "partial": 2, "interrupted": 3, "running": 4, "ok": 5}
SUMMARY_ROWS = 20


def _run_row(r: dict, width: int = 0) -> str:
    """A portal's line of the summary; ``width`` pads "portal: status" so the rows line up."""
    row = (f"{r['portal'] + ': ' + r['status']:<{width}} — {r['pages']} pages, {r['requests']} requests, "
           f"{r['mode']} pass, reports new {r['new_reports']} / changed {r['changed_reports']} / "
           f"unchanged {r['unchanged_reports']}, errors {r['errors']}")
    first = next(iter(r.get("error_details") or []), None)
    if first:
        where = f"{first['url']} " if first.get("url") else ""
        row += f"; first error: {where}{' '.join(str(first.get('error', '')).split())[:160]}"
    return row


def _print_run_summary(db, run_ids: list[int], rows: int = SUMMARY_ROWS) -> int:
    """One line per portal, worst first (failed, blocked, partial, interrupted, then ok; the
    most errors first); past ``rows`` portals only the worst ``rows`` and a count of the rest;
    with more than one portal, a totals line. 1 if any portal failed or was blocked."""
    from collections import Counter

    from harvester.export import list_runs

    wanted = set(run_ids)
    runs = [r for r in list_runs(db) if r["id"] in wanted]
    if not runs:
        print("no crawl ran", file=sys.stderr)
        return 1
    runs.sort(key=lambda r: (_STATUS_RANK.get(r["status"], 4), -r["errors"], r["portal"]))
    shown = runs[:rows]
    width = max(len(r["portal"]) + 2 + len(r["status"]) for r in shown)
    for r in shown:
        print(_run_row(r, width))
    rest = runs[rows:]
    if rest:
        by_status = Counter(r["status"] for r in rest)
        print(f"… and {len(rest)} more portals ("
              + ", ".join(f"{st} {n}" for st, n in sorted(by_status.items(), key=lambda x: _STATUS_RANK.get(x[0], 4)))
              + f"), {sum(r['errors'] for r in rest)} errors among them")
    if len(runs) > 1:
        by_status = Counter(r["status"] for r in runs)
        print(f"total — {len(runs)} portals ("
              + ", ".join(f"{st} {n}" for st, n in sorted(by_status.items(), key=lambda x: _STATUS_RANK.get(x[0], 4)))
              + f"), {sum(r['pages'] for r in runs)} pages, {sum(r['requests'] for r in runs)} requests, "
              f"reports new {sum(r['new_reports'] for r in runs)} / changed {sum(r['changed_reports'] for r in runs)} / "
              f"unchanged {sum(r['unchanged_reports'] for r in runs)}, errors {sum(r['errors'] for r in runs)}")
    return 1 if any(r["status"] in ("failed", "blocked") for r in runs) else 0


def cmd_sim_serve(args) -> int:
    from harvester.sim.command import serve

    return serve(
        Path(args.portals_out) if args.portals_out else None,
        seed=args.seed,
        first_host=args.first_host,
        n_portals=args.n_portals,
        reports_per_portal=args.reports_per_portal,
        families=args.families,
        faults=_fault_names(args.faults),
        latency=args.latency,
    )


def _fault_names(spec: str | None) -> list[str] | None:
    if not spec:
        return None
    from harvester.sim.faults import parse_fault_names

    try:
        return parse_fault_names(spec)
    except ValueError as exc:
        raise CliError(f"--faults: {exc}") from None


def cmd_demo(args) -> int:
    import dataclasses

    from harvester.crawl import run_crawl
    from harvester.export import list_runs
    from harvester.registry import load_registry
    from harvester.sim import SimServer, build_universe
    from storage.models import Document
    from sqlalchemy import func, select

    cfg = _config(args)
    db = _open_db(cfg)
    started = time.monotonic()
    universe = build_universe(seed=args.seed)
    with SimServer(universe, first_host=args.first_host) as srv:
        registry = cfg.data_dir / "sim-portals.toml"
        srv.write_registry(registry)
        entries = load_registry(registry)
        print(f"simulated portals: {len(entries)} on loopback (registry {registry})")
        for e in entries:
            print(f"  {e.id}: {e.url}")
        run_ids, _ = run_crawl(db, entries, str(cfg.archive_dir), {"LOG_LEVEL": "WARNING", **_setting_overrides(args)})
        elapsed = time.monotonic() - started
        runs = [r for r in list_runs(db) if r["id"] in set(run_ids)]
        with db.session() as s:
            reports = s.scalar(select(func.count()).select_from(Document).where(Document.is_report.is_(True)))
        expected = sum(len(p.reports) for p in universe.portals)
        print(
            f"demo: {len(runs)} portals, {sum(r['pages'] for r in runs)} pages, "
            f"{sum(r['requests'] for r in runs)} requests, {reports} reports stored "
            f"(the simulated portals publish {expected}), "
            f"{sum(r['errors'] for r in runs)} errors, {elapsed:.1f} s"
        )
        print(f"data: {cfg.data_dir} (database {db.url}, WARC files in {cfg.archive_dir})")
        status = 0 if all(r["status"] == "ok" for r in runs) and runs else 1
        if args.no_serve:
            return status
        from harvester.web import serve_browser

        # The simulated portals stay up while the browser is served, so its recrawl action works.
        demo_cfg = dataclasses.replace(cfg, registry=registry)
        return serve_browser(demo_cfg, host=args.host, port=args.port, recrawl=_recrawl_action(demo_cfg))


def _recrawl_action(cfg):
    """The archive browser's recrawl button: a background harvest under the portal's lock."""
    from harvester.recrawl import launch

    return lambda portal_id, full: launch(cfg, portal_id, full)


def cmd_serve(args) -> int:
    from harvester.web import serve_browser

    cfg = _config(args)
    _open_db(cfg).dispose()  # fail here, as one line, if the store cannot be opened or migrated
    return serve_browser(cfg, host=args.host, port=args.port, recrawl=_recrawl_action(cfg))


def cmd_export_reports(args) -> int:
    from harvester.export import write_logical, write_reports

    if args.per_location and args.format == "xlsx":
        raise CliError("export reports --per-location writes jsonl or csv, not xlsx")
    if args.format == "xlsx" and not args.output:
        raise CliError("export reports --format xlsx needs --output FILE.xlsx (a spreadsheet is not text)")
    cfg = _config(args)
    db = _open_db(cfg)
    if args.format == "xlsx":
        n = write_logical(db, "xlsx", args.output, portal=args.portal)
        print(f"{n} reports written to {args.output}", file=sys.stderr)
        return 0

    def write(fh):
        if args.per_location:
            return write_reports(db, args.format, fh, portal=args.portal)
        return write_logical(db, args.format, fh, portal=args.portal)

    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            n = write(fh)
        what = "locations" if args.per_location else "reports"
        print(f"{n} {what} written to {args.output}", file=sys.stderr)
    else:
        write(sys.stdout)
    return 0


def cmd_runs(args) -> int:
    from harvester.export import format_runs, list_runs

    cfg = _config(args)
    db = _open_db(cfg)
    runs = list_runs(db, portal=args.portal, limit=args.limit)
    if args.json:
        print(json.dumps(runs, ensure_ascii=False, indent=1))
    else:
        print(format_runs(runs))
    return 0


def cmd_verify(args) -> int:
    from harvester.fixity import verify

    cfg = _config(args)
    db = _open_db(cfg)
    report = verify(db, cfg.archive_dir, portal=args.portal)
    for m in report.mismatches:
        print(f"MISMATCH {m}")
    print(report.summary())
    return 0 if report.ok else 1


def cmd_reparse(args) -> int:
    from harvester.reparse import reparse

    cfg = _config(args)
    db = _open_db(cfg)
    r = reparse(db, cfg.archive_dir, portal=args.portal)
    print(f"reparse: {r.contents} archived bodies read again, {r.reclassified} reclassified, {r.errors} with errors")
    return 0


def cmd_export_wacz(args) -> int:
    from harvester.wacz import WaczError, export_wacz

    if (args.portal is None) == (args.report is None):
        raise CliError("export wacz needs exactly one of --portal ID or --report ID")
    cfg = _config(args)
    db = _open_db(cfg)
    try:
        info = export_wacz(db, cfg.archive_dir, Path(args.out), portal=args.portal, report_id=args.report)
    except WaczError as exc:
        raise CliError(str(exc)) from None
    print(f"{info['output']}: {info['pages']} pages from {info['warc_files']} WARC file(s)")
    return 0


def cmd_recrawl(args) -> int:
    from harvester.recrawl import recrawl
    from harvester.registry import load_registry, select

    cfg = _config(args)
    select(load_registry(cfg.registry), [args.portal_id])  # unknown portal: one clear line
    db = _open_db(cfg)
    return recrawl(cfg, db, args.portal_id, full=args.full, wait=args.wait, settings=tuple(args.set or ()))


def cmd_worker(args) -> int:
    import logging

    from harvester.cluster import run_worker

    cfg = _config(args)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    return run_worker(cfg, parallel=args.parallel, name=args.name, until_empty=args.until_empty)


def cmd_enqueue(args) -> int:
    from harvester.cluster import enqueue, pending

    cfg = _config(args)
    chosen = _chosen_portals(cfg, args, "harvest")
    settings = tuple(args.set or ())
    for item in settings:
        if "=" not in item:
            raise CliError(f"--set expects NAME=VALUE, got {item!r}")
    harvest = enqueue(cfg, chosen, full=args.full, purpose="manual", settings=settings)
    print(f"harvest {harvest}: {len(chosen)} portal(s) enqueued on queue {cfg.cluster.queue!r}; "
          f"{pending(cfg)} job(s) now waiting or running for the workers")
    return 0


def cmd_schedule(args) -> int:
    from harvester.registry import load_registry
    from harvester.scheduler import Schedule, serve

    cfg = _config(args)
    entries = load_registry(cfg.registry)
    schedule = Schedule(at=args.at, timezone=args.timezone, window_minutes=args.window,
                        max_parallel=args.parallel, catch_up_days=args.catch_up_days, settings=tuple(args.set or ()))
    try:
        schedule.times(1)
        from zoneinfo import ZoneInfo

        ZoneInfo(args.timezone)
    except (ValueError, KeyError) as exc:
        raise CliError(str(exc) if isinstance(exc, ValueError) else f"unknown time zone {args.timezone!r}") from None
    _open_db(cfg)
    return serve(cfg, entries, schedule)


def cmd_health(args) -> int:
    from harvester.notify import event_json
    from storage.health import open_events

    cfg = _config(args)
    db = _open_db(cfg)
    with db.session() as s:
        events = [event_json(e) for e in open_events(s, args.portal)]
    if args.json:
        print(json.dumps(events, ensure_ascii=False, indent=1))
        return 0
    if not events:
        print("no open health events")
    for e in events:
        print(f"{e['opened_at']}  {e['portal']}  {e['kind']} ({e['label']}): {e['detail']}" + (f"  [{e['url']}]" if e["url"] else ""))
    return 0


def cmd_parse(args) -> int:
    from harvester.parser.command import run

    return run(args.paths, as_json=args.json, out=sys.stdout)


# -- argument parsing ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="harvester",
        description="Harvest, archive and read China's government information disclosure annual reports.",
    )
    p.add_argument("--data", metavar="DIR", help="data directory: harvester.db and archive/ (default ./data)")
    p.add_argument("--db", metavar="URL", help="SQLAlchemy database URL (overrides the SQLite default)")
    p.add_argument("--portals", metavar="FILE", help="portal registry TOML (default: the shipped registry)")
    p.add_argument("--archive", metavar="DIR", help="archive directory of WARC files (default: DATA/archive)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    c = sub.add_parser("crawl", help="harvest the named portals (or --all)")
    c.add_argument("portal_ids", nargs="*", metavar="PORTAL_ID")
    c.add_argument("--all", action="store_true", help="every portal in the registry")
    c.add_argument("--full", action="store_true", help="full verification pass: re-fetch every known report conditionally")
    c.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for a portal another process is harvesting (default: refuse at once)")
    c.add_argument("--purpose", default="manual", choices=("manual", "scheduled", "recrawl"), help=argparse.SUPPRESS)
    c.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting")
    c.add_argument("--quiet", action="store_true", help="log warnings and errors only")
    c.set_defaults(func=cmd_crawl)

    sim = sub.add_parser("sim", help="the simulated government portals")
    simsub = sim.add_subparsers(dest="sim_command", metavar="SIMCOMMAND")
    simsub.required = True
    s = simsub.add_parser("serve", help="serve the simulated portals on loopback until stopped")
    s.add_argument("--portals-out", metavar="FILE", help="write a registry naming the portals here")
    s.add_argument("--seed", type=int, default=2025)
    s.add_argument("--first-host", type=int, default=20, metavar="N",
                   help="first portal on loopback host N: 127.0.0.N, past .254 on 127.0.1.1 and so on")
    s.add_argument("--portals", "--n-portals", type=int, default=3, dest="n_portals", metavar="N",
                   help="how many portals (up to 65,024 with --first-host 1; all served by this one process)")
    s.add_argument("--reports-per-portal", type=int, default=22)
    s.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay every answer by this much")
    s.add_argument("--families", action="store_true",
                   help="portals of every platform family (TRS, Hanweb, gkmlpt, generic) instead of 3 TRS portals")
    s.add_argument("--faults", metavar="NAME,...",
                   help="hostile portals, one per fault (5xx-always, gzip-bomb, redirect-loop …; 'all'), beside a normal one")
    s.set_defaults(func=cmd_sim_serve)

    d = sub.add_parser("demo", help="serve the simulated portals, harvest them all, print a summary")
    d.add_argument("--no-serve", action="store_true", help="exit after the harvest")
    d.add_argument("--seed", type=int, default=2025)
    d.add_argument("--first-host", type=int, default=20)
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting")
    d.set_defaults(func=cmd_demo)

    sv = sub.add_parser("serve", help="serve the archive browser (read-only; actions need HARVESTER_WEB_TOKEN)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.set_defaults(func=cmd_serve)

    e = sub.add_parser("export", help="export stored data")
    esub = e.add_subparsers(dest="export_command", metavar="WHAT")
    esub.required = True
    er = esub.add_parser("reports", help="every stored report: one row per logical report (its page, attachment "
                                         "and reposts are its locations)")
    er.add_argument("--format", choices=("jsonl", "csv", "xlsx"), default="jsonl",
                    help="csv and xlsx: one column per table cell in the official order")
    er.add_argument("--per-location", action="store_true",
                    help="one row per stored URL instead (a page and its attachment are two rows)")
    er.add_argument("--portal", metavar="ID", help="only reports found on this portal")
    er.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    er.set_defaults(func=cmd_export_reports)

    ew = esub.add_parser("wacz", help="a WACZ package of a portal's or a report's captures (ReplayWeb.page)")
    ew.add_argument("--portal", metavar="ID")
    ew.add_argument("--report", metavar="ID", type=int)
    ew.add_argument("out", metavar="OUT.wacz")
    ew.set_defaults(func=cmd_export_wacz)

    v = sub.add_parser("verify", help="fixity: re-read every WARC record and check it against the store")
    v.add_argument("--portal", metavar="ID")
    v.set_defaults(func=cmd_verify)

    rp = sub.add_parser("reparse", help="run extraction and the parser again over archived pages, without fetching")
    rp.add_argument("--portal", metavar="ID")
    rp.set_defaults(func=cmd_reparse)

    r = sub.add_parser("runs", help="crawl runs, newest first")
    r.add_argument("--json", action="store_true")
    r.add_argument("--portal", metavar="ID")
    r.add_argument("--limit", type=int)
    r.set_defaults(func=cmd_runs)

    rc = sub.add_parser("recrawl", help="harvest one portal now, with live progress")
    rc.add_argument("portal_id", metavar="PORTAL_ID")
    rc.add_argument("--full", action="store_true", help="ignore incremental shortcuts: re-verify every known report")
    rc.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                    help="wait this long if the portal is being harvested (default: refuse)")
    rc.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a Scrapy setting")
    rc.set_defaults(func=cmd_recrawl)

    sc = sub.add_parser("schedule", help="run nightly harvests of every registry portal until stopped")
    sc.add_argument("--at", default="02:00", metavar="HH:MM", help="harvest time (default 02:00)")
    sc.add_argument("--timezone", default="Asia/Shanghai")
    sc.add_argument("--window", type=int, default=120, metavar="MINUTES", help="spread portals over this window")
    sc.add_argument("--parallel", type=int, default=2, help="portals harvested at once")
    sc.add_argument("--catch-up-days", type=float, default=7, help="catch up a missed night (once) up to this late")
    sc.add_argument("--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for every harvest")
    sc.add_argument("--redis", metavar="URL", help="cluster mode: enqueue each harvest on this Redis for `harvester "
                                                   "worker`s instead of harvesting here (HARVESTER_REDIS_URL)")
    sc.set_defaults(func=cmd_schedule)

    wk = sub.add_parser("worker", help="harvest portals taken from the cluster's job queue (Redis) until stopped")
    _cluster_options(wk)
    wk.add_argument("--parallel", type=int, default=2, help="portals harvested at once by this worker (default 2)")
    wk.add_argument("--name", help="this worker's name in its output and logs (default host:pid)")
    wk.add_argument("--until-empty", action="store_true",
                    help="also stop once no job is left on the queue (queued or being harvested anywhere)")
    wk.set_defaults(func=cmd_worker)

    eq = sub.add_parser("enqueue", help="feed a harvest to the cluster's workers: one job per portal on the queue")
    _cluster_options(eq)
    eq.add_argument("portal_ids", nargs="*", metavar="PORTAL_ID")
    eq.add_argument("--all", action="store_true", help="every portal in the registry")
    eq.add_argument("--full", action="store_true", help="full verification pass: re-fetch every known report conditionally")
    eq.add_argument("--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting for these harvests")
    eq.set_defaults(func=cmd_enqueue)

    he = sub.add_parser("health", help="open health events")
    he.add_argument("--json", action="store_true")
    he.add_argument("--portal", metavar="ID")
    he.set_defaults(func=cmd_health)

    pa = sub.add_parser("parse", help="parse report files (HTML, text, DOCX, PDF, XLS(X), DOC, WPS)")
    pa.add_argument("paths", nargs="+", metavar="PATH")
    pa.add_argument("--json", action="store_true", help="one JSON object per input (JSON Lines)")
    pa.set_defaults(func=cmd_parse)
    return p


def _cluster_options(p: argparse.ArgumentParser) -> None:
    """--redis, and the global --db/--data/--archive/--portals accepted after the command too."""
    p.add_argument("--redis", metavar="URL", help="Redis of the job queue, e.g. redis://host:6379/0 (HARVESTER_REDIS_URL)")
    p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="the shared store (PostgreSQL URL)")
    p.add_argument("--data", metavar="DIR", default=argparse.SUPPRESS, help="data directory (logs)")
    p.add_argument("--archive", metavar="DIR", default=argparse.SUPPRESS, help="the shared archive directory")
    p.add_argument("--portals", metavar="FILE", default=argparse.SUPPRESS, help="portal registry TOML")


def main(argv: list[str] | None = None) -> int:
    from harvester.cluster import die_with_parent
    from harvester.config import ConfigError

    die_with_parent()
    from harvester.registry import RegistryError
    from storage.database import DatabaseError
    from storage.failure import StorageFailed

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, ConfigError, RegistryError, DatabaseError) as exc:
        print(f"harvester: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StorageFailed as exc:
        print(f"harvester: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harvester: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
