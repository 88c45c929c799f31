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

from .conftest import EXAMPLE, ROOT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"packetgen, version {__version__}"


def test_check_example_summary_matches_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(EXAMPLE))
    assert code == 0, err
    assert err == ""
    assert out.splitlines()[0] == f"{EXAMPLE}: OK"
    assert "5 in-services, 22 items, 8 links, 5 handout files, 10 hours" in out
    assert (
        "Items by kind: article 8, recording 2, handout 4, presentation 1, film 1,"
        " campaign 1, link 2, note 3"
    ) in out
    assert re.search(r"csec-understanding\s+2018-03-12\s+1\.5\s+3\s+2\s+2", out)


def test_example_reproduces_every_seed_resource() -> None:
    seed = (ROOT.parent / "shared" / "seed" / "in-service-materials.txt").read_text()
    spec = EXAMPLE.read_text()
    for phrase in [
        "Keeping Kids Safer Online",
        "Advocating for Trafficked and High-Risk Child and Youth Victims",
        "I am a CASA/GAL Volunteer Advocate",
        "Frequently Asked Questions",
        "Stages of Change",
        "Resiliency in survivors of human trafficking",
        "Needs of CSEC Victims",
        "freed on bail after two years",
        "The Washington Post",
        "National Slavery and Human Trafficking Prevention Month",
        "Youth Who Run Away From Foster Care",
        "Collaborating With Youth-Serving Agencies",
        "Parts 1\u20133",
        "Identifying Minors and Young People Exploited Through Sex Trafficking",
        "National Convening on Trafficking and Child Welfare",
        "Timothy Dumas",
        "Tow Youth Justice Institute",
        "Katryn Little",
        "Erin Williamson",
        "Love146",
        "State Steps up Efforts to End Child Sex Trade",
        "I Am Jane Doe",
        "#WatchForTraffick",
    ]:
        assert phrase in seed, phrase
        assert phrase in spec, phrase
    film = yaml.safe_load(spec)["inservices"][-1]["items"][-2]
    assert film["where_to_watch"] == ["Netflix", "iTunes", "Vimeo", "Google Play", "Amazon", "DVD"]


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
        " (expected one of: id, title, date, presenter, location, hours, summary, items,"
        " handout_placement, signin, evaluation, credit_log, kit_placement, certificate,"
        " attendees)\n"
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
    assert schema["properties"]["paper"]["description"] == "Paper size: ``letter`` or ``a4``."


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
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
