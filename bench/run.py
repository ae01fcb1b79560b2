"""`make bench`: printed figures, not a timed test. Goals from the foundation issue in brackets."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from bench import imports, referrals
from bench import staff_api as staff_api_bench
from bench.aws_meter import WriteLabel

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZIP = PROJECT_ROOT / "build" / "deployment.zip"


def show(label: str, value: str, goal: str = "", met: bool | None = None) -> None:
    verdict = "" if met is None else ("  ok" if met else "  MISSED")
    goal_text = f"  [goal {goal}]" if goal else ""
    print(f"  {label:<50} {value}{goal_text}{verdict}", flush=True)


def cold_import() -> None:
    print("(a) Cold import, best of 7 fresh processes (MASH_STAGE=prod)")
    times = imports.measure_import_times()
    show("deployed app", f"{times.app_ms:.0f} ms")
    show("bare Chalice+boto3+pydantic+jinja2 app", f"{times.bare_ms:.0f} ms")
    show("ratio", f"{times.ratio:.2f}x", "<= 1.4x", times.ratio <= 1.4)
    show("botocore loaded by `import app`", "yes" if times.app_loads_botocore else "no")


def calls_at_import() -> None:
    print("(b) AWS at import")
    found = imports.aws_calls_at_import()
    show(
        "API calls",
        str(len(found["calls"])) + (f" {found['calls']}" if found["calls"] else ""),
        "0",
        not found["calls"],
    )
    show("clients created", str(len(found["clients"])), "0", not found["clients"])


def per_referral() -> None:
    print("(c) Per referral via POST /api/referrals (in-process moto; 3 examples x 3, after a warm-up)")
    result = referrals.measure_per_referral()
    show("warm-up: blind-index key set-up (excluded)", _calls(result.setup_calls) or "none")
    show("kms.GenerateDataKey", f"{result.generate_data_key:g}", "exactly 1", result.generate_data_key == 1)
    show("all KMS calls", f"{result.kms_calls:g}")
    print("  DynamoDB WCU per referral, from item sizes:", flush=True)
    submission = result.wcu_of(referrals.SUBMISSION)
    show("submission write (child index + PutItem + GSIs)", f"{submission:g}", "<= 3", submission <= 3)
    print("    (the lead reads the issue's '<= 3 WCU' as this write; the total below is information)", flush=True)
    _breakdown(result.breakdown(referrals.SUBMISSION))
    show("recording the acknowledgement (UpdateItem + MSG#)", f"{result.wcu_of(referrals.ACKNOWLEDGEMENT):g}")
    _breakdown(result.breakdown(referrals.ACKNOWLEDGEMENT))
    show("public rate-limit counter (UpdateItem)", f"{result.wcu_of(referrals.RATE_LIMIT):g}")
    if result.wcu_of(referrals.OTHER):
        show("other writes", f"{result.wcu_of(referrals.OTHER):g}")
        _breakdown(result.breakdown(referrals.OTHER))
    show("total per referral (information)", f"{result.total_wcu:g}")
    show("stored referral item size", f"{result.item_bytes:.0f} bytes (mean)")
    for name, n in result.calls.items():
        show(f"call {name}", f"{n:g}")


def _calls(calls: dict[str, float]) -> str:
    return ", ".join(f"{name} {n:g}" for name, n in calls.items())


def _breakdown(wcu: dict[WriteLabel, float]) -> None:
    for label, n in wcu.items():
        show(f"  of which {label}", f"{n:g}")


def latency() -> None:
    print("(d) Latency of 500 submissions (chalice.test.Client, in-process moto)")
    result = referrals.measure_latency()
    show("p50", f"{result.p50_ms:.1f} ms")
    show("p99", f"{result.p99_ms:.1f} ms")
    show("mean", f"{result.mean_ms:.1f} ms")


def package_size() -> None:
    print("(e) Deployment package (rebuilt now with `make package`'s steps)")
    import subprocess

    from local import package

    try:
        package.build()
    except subprocess.CalledProcessError:
        if not ZIP.exists():
            raise
        print("  chalice package failed: the figure below is of the last build", flush=True)
    with zipfile.ZipFile(ZIP) as built:
        unpacked = sum(info.file_size for info in built.infolist())
        files = len(built.infolist())
    show("build/deployment.zip", f"{ZIP.stat().st_size / 1e6:.2f} MB ({unpacked / 1e6:.1f} MB unzipped, {files} files)")


def staff_api() -> None:
    print(
        f"(f) Staff API over {staff_api_bench.REFERRALS:,} referrals "
        "(in-process moto, chalice.test.Client, a practitioner token)"
    )
    result = staff_api_bench.measure_staff_api()
    posted = staff_api_bench.POSTED
    show(
        f"seeded {staff_api_bench.REFERRALS:,} referrals",
        f"{result.seed_seconds:.1f} s ({posted} by POST at {result.seed_post_ms:.0f} ms each, "
        f"{staff_api_bench.REFERRALS - posted} through the store at {result.seed_store_ms:.1f} ms each)",
    )
    _queue(result)
    _view(result)
    _screening(result)
    print(
        "  note: 'end to end' is mostly moto: its Query reads the whole index and its TransactWriteItems\n"
        "  deep-copies the table, both growing with the table; 'outside AWS calls' is the app's own time\n"
        "  (routing, token check, decryption, JSON), without botocore or moto.",
        flush=True,
    )


def _timing(timing: staff_api_bench.Timing) -> None:
    for label, figures in (("end to end on moto", timing.end_to_end), ("outside AWS calls", timing.app_only)):
        show(f"  p50 / p99 {label}", f"{figures.p50_ms:.1f} / {figures.p99_ms:.1f} ms (n={figures.count})")


def _queue(result: staff_api_bench.StaffFigures) -> None:
    show(
        f"GET /admin/referrals?limit={staff_api_bench.PAGE_SIZE}",
        f"{result.queue.end_to_end.count} calls following the cursor: {result.pages_per_walk} pages "
        f"cover {result.referrals_per_walk:,} referrals",
    )
    _timing(result.queue)
    kms = result.queue_work.kms()
    show("  KMS calls per queue page", f"{kms:g}", "0", kms == 0)
    show("  DynamoDB calls per page", _calls(result.queue_work.dynamodb_calls()))


def _view(result: staff_api_bench.StaffFigures) -> None:
    work = result.view_work
    show(
        "GET /admin/referrals/{reference}",
        f"{result.view.end_to_end.count} referrals, each viewed once, after a warm-up",
    )
    _timing(result.view)
    decrypts = work.kms("Decrypt")
    show("  KMS calls per view", _calls(_kms(work)) or "0", "1 Decrypt", decrypts == 1 and work.kms() == 1)
    show("  DynamoDB calls per view", _calls(work.dynamodb_calls()))
    show("  WCU per view (the read is audited)", f"{work.total_wcu:g}")
    _breakdown(work.wcu)


def _screening(result: staff_api_bench.StaffFigures) -> None:
    work = result.screening_work
    show("POST /admin/referrals/{reference}/screening", f"{result.screening.end_to_end.count} referrals screened Amber")
    _timing(result.screening)
    show("  KMS calls per screening", _calls(_kms(work)) or "0")
    show("  DynamoDB calls per screening", _calls(work.dynamodb_calls()))
    show("  WCU per screening (TransactWriteItems)", f"{work.total_wcu:g}")
    _breakdown(work.wcu)


def _kms(work: staff_api_bench.PerRequest) -> dict[str, float]:
    return {name: n for name, n in work.calls.items() if name.startswith("kms.")}


def enquiries() -> None:
    from bench import enquiries as enquiries_bench
    from bench import reply_parsing

    print("(g) Agency enquiries: one referral to all 8 agencies (in-process moto), then replies parsed")
    fan = enquiries_bench.measure_fan_out()
    show(f"POST .../enquiries for {fan.agencies} agencies", _calls(fan.open_calls))
    publishes = fan.open_calls.get("sns.PublishBatch", 0) + fan.open_calls.get("sns.Publish", 0)
    show("  SNS calls for the fan-out", f"{publishes:g}", "one batch, not one per agency", publishes == 1)
    delivered = sum(fan.messages_per_queue.values())
    one_each = all(n == 1 for n in fan.messages_per_queue.values())
    show(
        "  messages routed by the filter policies",
        f"{delivered} ({'one per agency queue' if one_each else fan.messages_per_queue})",
        "1 per queue",
        one_each,
    )
    show(f"the {fan.agencies} agency handlers, in all", _calls(fan.send_calls))
    ses = fan.send_calls.get("ses.SendRawEmail", 0)
    show("  SES sends", f"{ses:g} ({fan.emails} request notices recorded)", f"{fan.agencies}", ses == fan.agencies)
    show(
        "  app SQS calls (Lambda's poller reads and deletes)",
        f"{sum(n for k, n in fan.send_calls.items() if k.startswith('sqs.')):g}",
    )
    reply_parsing.report(reply_parsing.measure(), show)


def main() -> None:
    # The app logs each submission; the figures are what this run is for.
    logging.disable(logging.INFO)
    cold_import()
    calls_at_import()
    per_referral()
    latency()
    package_size()
    staff_api()
    enquiries()
    from bench import timeliness as timeliness_bench  # issue 7: the timeliness report

    timeliness_bench.show_figures(show)
    from bench import performance as performance_bench  # issue 14: the performance report at a year's scale

    performance_bench.show_figures(show)
    from bench import search_quality  # issue 13: precision and recall of name search

    search_quality.report()
    from bench import search as search_bench  # issue 13: search and queue latency and AWS calls

    search_bench.report(show)


if __name__ == "__main__":
    main()
