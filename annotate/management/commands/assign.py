"""`python manage.py assign`: give articles to reviewers with an overlap."""

from django.core.management.base import BaseCommand, CommandError

from annotate.forms import AssignForm


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


OPTIONS = {"overlap": "--overlap: ", "reviewers": "--reviewers: ", "outlet": "--outlet: ", "articles": "--article: "}


class Command(BaseCommand):
    help = (
        "Assign articles to reviewers so that each article gets OVERLAP reviewers (existing assignments "
        "count). Without filters every article is considered; running it again adds nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--overlap", type=int, default=2, help="reviewers per article (default 2)")
        parser.add_argument("--reviewers", help="comma-separated usernames (default: every non-lead account)")
        parser.add_argument("--outlet", help="only articles of this outlet domain, e.g. news.sky.com")
        parser.add_argument("--article", help="comma-separated article ids")
        parser.add_argument("--unassigned", action="store_true", help="only articles nobody is assigned to")

    def handle(self, *args, overlap, reviewers, outlet, article, unassigned, **options):
        form = AssignForm(
            data={
                "overlap": overlap,
                "reviewers": _split(reviewers),
                "outlet": outlet or "",
                "articles": _split(article),
                "unassigned": unassigned,
            }
        )
        if not form.is_valid():
            problems = "; ".join(
                f"{OPTIONS.get(field, '')}{' '.join(map(str, errors))}" for field, errors in form.errors.items()
            )
            raise CommandError(problems)
        created = form.save()
        self.stdout.write(
            f"{len(created)} new assignment(s) for {form.article_count} article(s), "
            f"{len(form.cleaned_data['reviewers'])} reviewer(s), overlap {overlap}."
        )
        for assignment in created:
            self.stdout.write(f"  article {assignment.article_id} → {assignment.reviewer.username}")
