"""``vigil rules``: list the active indicator rules, validate rule files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from vigil.cli.exit_codes import ExitCode
from vigil.cli.output import echo_text, line, plain, print_json, stderr, stdout
from vigil.indicators.checks import CHECKS
from vigil.indicators.loader import load_ruleset, parse_rule_file, user_rule_files


@click.group("rules")
def rules_group() -> None:
    """Indicator rules (YAML): shipped ones plus $VIGIL_HOME/rules/*.yaml."""


@rules_group.command("list")
@click.option("--family", help="Only rules of this family (tor, p2p, encryption, …).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_cmd(family: str | None, as_json: bool) -> None:
    """List the active rules: id, family, severity, scope and where each comes from."""
    ruleset = load_ruleset()
    rules = [r for r in ruleset.rules if family is None or r.family == family]
    rules.sort(key=lambda r: (r.family, r.id))
    if as_json:
        print_json(
            {
                "rules": [
                    {
                        "id": r.id,
                        "family": r.family,
                        "severity": r.severity,
                        "scope": r.scope,
                        "description": r.description,
                        "check": r.match.check,
                        "source": r.source,
                    }
                    for r in rules
                ],
                "files": ruleset.sources,
                "disabled": ruleset.disabled,
                "checks": {
                    c.name: {"summary": c.summary, "params": c.params} for c in CHECKS.values()
                },
            }
        )
        return
    table = Table(title=plain(f"Indicator rules ({len(rules)})"))
    for column in ("Rule", "Family", "Severity", "Scope", "Description"):
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(*(plain(c) for c in (r.id, r.family, r.severity, r.scope, r.description)))
    stdout.print(table)
    users = user_rule_files()
    stderr.print(
        line(
            f"{len(ruleset.sources)} rule file(s), {len(users)} of them yours in $VIGIL_HOME/rules"
            + (f"; disabled: {', '.join(ruleset.disabled)}" if ruleset.disabled else "")
        )
    )


@rules_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_cmd(paths: tuple[Path, ...]) -> int:
    """Validate rule files: every problem is printed as FILE: RULE: FIELD: WHAT (exit 2 if any)."""
    problems: list[str] = []
    for path in paths:
        rules, disabled, found = parse_rule_file(path)
        problems.extend(found)
        if not found:
            extra = f", {len(disabled)} disabled" if disabled else ""
            stdout.print(line(f"{path}: ok, {len(rules)} rule(s){extra}"))
    for problem in problems:
        click.echo(echo_text(problem), err=True)  # one problem a line, never wrapped: easy to grep
    return ExitCode.USAGE if problems else ExitCode.OK
