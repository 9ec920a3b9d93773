"""Read a Lockstep report directory with the tools CI servers and
aggregators use, and say what they saw.

    check_reports.py REPORT_DIR CUCUMBER_SCHEMA

- junitparser (the JUnit reader of many CI plugins) and xunitparser (which
  crashed on Lockstep's old repeated suites) read junit.xml; every suite's
  and the root's `tests=` must equal the test cases they hold, and
  (classname, name) must be unique, as GitLab keys test cases by them;
- jsonschema validates cucumber.json against the cucumber-jvm dialect of
  the Cucumber JSON schema, and element ids must be unique, as report
  aggregators dedupe by id.

Prints one JSON object with the counts; exits 1 with the problems listed
when any check fails.
"""

import json
import sys
from pathlib import Path

import jsonschema
import junitparser
import xunitparser


def main() -> int:
    reports, schema_path = Path(sys.argv[1]), Path(sys.argv[2])
    problems = []

    xml = junitparser.JUnitXml.fromfile(str(reports / "junit.xml"))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    pairs = []
    cases = {"passed": 0, "failure": 0, "error": 0, "skipped": 0}
    for suite in suites:
        held = list(suite)
        if suite.tests != len(held):
            problems.append(f"suite {suite.name!r} says tests={suite.tests} but holds {len(held)} cases")
        for case in held:
            pairs.append((case.classname, case.name))
            kinds = [type(r).__name__.lower() for r in case.result]
            kind = kinds[0] if kinds else "passed"
            cases[kind if kind in cases else "error"] += 1
    root_tests = int(xml.tests) if xml.tests is not None else None
    if root_tests != len(pairs):
        problems.append(f"<testsuites tests={root_tests}> but {len(pairs)} test cases")
    dupes = sorted({p for p in pairs if pairs.count(p) > 1})
    if dupes:
        problems.append(f"(classname, name) repeated: {dupes}")

    with open(reports / "junit.xml", "rb") as f:
        suite_x, result_x = xunitparser.parse(f)
    xunit = {"tests": result_x.testsRun, "failures": len(result_x.failures),
             "errors": len(result_x.errors), "skipped": len(result_x.skipped)}
    if result_x.testsRun != len(pairs):
        problems.append(f"xunitparser counted {result_x.testsRun} tests, junitparser {len(pairs)}")

    schema = json.loads(schema_path.read_text())
    doc = json.loads((reports / "cucumber.json").read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str)
    for e in errors[:5]:
        problems.append(f"cucumber.json: {'/'.join(map(str, e.absolute_path))}: {e.message}")
    ids = [el.get("id") for f in doc for el in f["elements"]]
    if len(ids) != len(set(ids)):
        problems.append("cucumber.json: element ids repeat")
    scenarios = [el for f in doc for el in f["elements"] if el["type"] == "scenario"]
    statuses = {}
    for el in scenarios:
        for st in el["steps"]:
            statuses[st["result"]["status"]] = statuses.get(st["result"]["status"], 0) + 1

    print(json.dumps({
        "junit": {"tests": len(pairs), **cases},
        "xunitparser": xunit,
        "cucumber": {"features": len(doc), "scenarios": len(scenarios),
                     "backgrounds": sum(1 for f in doc for el in f["elements"] if el["type"] == "background"),
                     "steps": statuses},
        "problems": problems,
    }))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
