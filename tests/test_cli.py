"""The CLI, run in-process through main(argv)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import jsonschema
import pytest
import yaml

from packetgen import __version__
from packetgen.cli import cli, main
from packetgen.spec.models import InService

from .conftest import EXAMPLE, ROOT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"packetgen, version {__version__}"


def test_check_example_summary_matches_the_seed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, "check", str(EXAMPLE), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == f"{EXAMPLE}: OK"
    assert "5 in-services, 23 items, 9 links, 6 handout files, 10 hours" in out
    assert (
        "Items by kind: article 8, recording 2, handout 4, presentation 2, film 1,"
        " campaign 1, link 2, note 3"
    ) in out
    # 3 links: the two of the spec and the one inside its session handout.
    assert re.search(r"csec-understanding\s+2018-03-12\s+1\.5\s+3\s+3\s+2", out)


SEED_RESOURCES = ROOT / "tests" / "data" / "seed-resources.yaml"


def _flatten(value: object) -> list[object]:
    """Every scalar and list in a spec node, so a fact can be looked up anywhere in it."""
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in _flatten(v))]
    if isinstance(value, list):
        return [value, *(x for v in value for x in _flatten(v))]
    return [value]


def _mentions(node: object, fact: object) -> bool:
    found = _flatten(node)
    if isinstance(fact, list):
        return fact in found
    return any(
        str(fact).casefold() in str(value).casefold()
        for value in found
        if not isinstance(value, dict | list)
    )


def test_example_reproduces_every_seed_resource() -> None:
    """Every resource of the real resource page has its item, kind and source in the example."""
    resources = yaml.safe_load(SEED_RESOURCES.read_text(encoding="utf-8"))["resources"]
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert len(resources) == 21
    for resource in resources:
        title = resource["title"].casefold()
        places = [
            (inservice, item)
            for inservice in spec["inservices"]
            for item in inservice["items"]
            if title in item["title"].casefold()
        ] or [
            (inservice, item)
            for inservice in spec["inservices"]
            if title in inservice["title"].casefold()
            for item in inservice["items"]
        ]
        assert places, f"no item or in-service for {resource['title']!r}"
        kind = resource.get("example_kind", resource["kind"])
        matching = [(s, i) for s, i in places if i["kind"] == kind]
        assert matching, f"{resource['title']!r}: no item of kind {kind!r}"
        for inservice, item in matching:
            context = {
                "item": item,
                "inservice": {k: v for k, v in inservice.items() if k != "items"},
            }
            facts = [resource.get("organization", ""), *resource.get("details", [])]
            if all(_mentions(context, fact) for fact in facts):
                break
        else:
            pytest.fail(f"{resource['title']!r}: organization or details missing: {resource}")


def test_check_bad_spec_prints_error_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = tmp_path / "packet.yaml"
    spec.write_text("title: T\ninservices:\n  - id: x\n    title: X\n    colour: red\n")
    code, out, err = run(capsys, "check", str(spec))
    assert code == 1
    assert out == ""
    assert err == (
        f"Error: {spec}:5:5: inservices[0].colour: unknown field 'colour' for this in-service"
        f" (expected one of: {', '.join(InService.model_fields)})\n"
    )
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check")
    assert code == 2
    assert "Missing argument 'SPEC'" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2
    assert "No such command 'frobnicate'" in err


def test_schema_validates_the_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load(EXAMPLE.read_text())
    # YAML gives dates; the schema describes them as ISO strings (as JSON has them).
    example = json.loads(json.dumps(example, default=str))
    jsonschema.validate(example, schema)
    bad = dict(example, paper="A5")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    assert schema["properties"]["paper"]["description"] == (
        "Paper size: ``letter`` or ``a4``. An in-service may set its own."
    )


def test_committed_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "schema")
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert (ROOT / "docs" / "packet.schema.json").read_text() == out, "run `make schema`"


def test_init_writes_a_starter_that_passes_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "new"
    code, out, _ = run(capsys, "init", str(target))
    assert code == 0
    assert "Wrote" in out
    code, out, err = run(capsys, "check", str(target / "packet.yaml"))
    assert code == 0, err
    code, _, err = run(capsys, "init", str(target))
    assert code == 1
    assert err == f"Error: {target / 'packet.yaml'} already exists; use --force to overwrite it\n"


def _commands(group: click.Group) -> list[tuple[str, click.Command]]:
    return sorted(group.commands.items())


@pytest.mark.parametrize(("name", "command"), _commands(cli))
def test_every_command_has_help_and_is_documented(
    capsys: pytest.CaptureFixture[str], name: str, command: click.Command
) -> None:
    assert command.help, f"{name} has no help text"
    code, out, _ = run(capsys, name, "--help")
    assert code == 0
    assert f"Usage: packetgen {name}" in out
    readme = (ROOT / "README.md").read_text()
    assert f"packetgen {name}" in readme, f"README does not document `packetgen {name}`"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"


def test_python_dash_m(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "packetgen", "check", str(EXAMPLE)],
        cwd=tmp_path,  # the check keeps what it learns in ./out, as a build would
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
