"""`labelstudio push|pull|import-file`: the round trip with a Label Studio server or its JSON export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate import safejson
from labelstudio.client import LabelStudioError, connect, server_settings
from labelstudio.pull import apply_rows, file_annotator, pull
from labelstudio.push import DEFAULT_PROJECT_TITLE, push


class Command(BaseCommand):
    help = "Push sentences to Label Studio, pull its annotations back, or import a Label Studio JSON export."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="push|pull|import-file")

        def server(sub):
            sub.add_argument("--url", help="Label Studio server root (default: env LABEL_STUDIO_URL)")
            sub.add_argument(
                "--token", help="legacy API token or personal access token (default: env LABEL_STUDIO_API_KEY)"
            )

        sub = actions.add_parser("push", help="create or update a project and import new sentences as tasks")
        server(sub)
        sub.add_argument(
            "--project-title",
            default=DEFAULT_PROJECT_TITLE,
            help=f"project to create or reuse (default {DEFAULT_PROJECT_TITLE!r})",
        )
        sub.add_argument("--project", type=int, help="push into this existing project id instead")
        sub.add_argument("--outlet", help="only articles of this outlet domain")
        sub.add_argument("--article", type=int, nargs="+", dest="articles", help="only these article ids")
        sub.add_argument("--limit", type=int, help="create at most N new tasks")
        sub.add_argument(
            "--force-config", action="store_true", help="replace a labeling config that was changed in Label Studio"
        )

        sub = actions.add_parser("pull", help="fetch annotations and save them as marks")
        server(sub)
        sub.add_argument("--project", type=int, help="project id (default: the one linked project)")
        sub.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid annotations and report the invalid ones (default: write none)",
        )

        sub = actions.add_parser("import-file", help="import a Label Studio JSON export (no server)")
        sub.add_argument("path", help="the export file (JSON list of tasks); - reads stdin")
        sub.add_argument(
            "--user-map", help='JSON file {"<Label Studio user id>": "e-mail"} for exports whose completed_by is an id'
        )
        sub.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid annotations and report the invalid ones (default: write none)",
        )

    def handle(self, *args, **options):
        try:
            summary = getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except LabelStudioError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(summary))

    def _push(self, options) -> str:
        url, token = server_settings(options["url"], options["token"])
        if options["limit"] is not None and options["limit"] < 0:
            raise CommandError("--limit must be 0 or more")
        client = connect(url, token)
        with tqdm(desc="pushing", unit="task", file=sys.stderr, disable=None) as bar:
            report = push(
                client,
                url,
                title=options["project_title"],
                project_id=options["project"],
                outlet=options["outlet"],
                article_ids=options["articles"],
                limit=options["limit"],
                force_config=options["force_config"],
                progress=bar.update,
            )
        return report.summary()

    def _pull(self, options) -> str:
        url, token = server_settings(options["url"], options["token"])
        link, report = pull(
            connect(url, token), url, project_id=options["project"], skip_invalid=options["skip_invalid"]
        )
        where = f"project #{link.remote_id}" if link else f"project #{options['project']}"
        return f"pulled {where}: {report.summary()}"

    def _import_file(self, options) -> str:
        rows = _read_json(options["path"], "export")
        if not isinstance(rows, list):
            raise CommandError(f"{options['path']}: a Label Studio JSON export is a list of tasks")
        user_map = None
        if options["user_map"]:
            user_map = _read_json(options["user_map"], "user map")
            if not isinstance(user_map, dict):
                raise CommandError(f"{options['user_map']}: the user map is a JSON object {{id: e-mail}}")
            user_map = {str(key): str(value) for key, value in user_map.items()}
        report = apply_rows(rows, annotator_for=file_annotator(user_map), skip_invalid=options["skip_invalid"])
        return f"imported {options['path']}: {report.summary()}"


def _read_json(path: str, what: str):
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        return safejson.loads(text)
    except OSError as exc:
        raise CommandError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandError(f"{path} is not a JSON {what}: {exc}") from None
