"""Public pages: outlets, their scores and the evidence behind them, and sources."""

from django.shortcuts import get_object_or_404, render

from annotate.models import Article, Outlet, Source


def outlet_list(request):
    return render(request, "reliability/outlet_list.html", {"outlets": Outlet.objects.all()})


def outlet_detail(request, domain):
    outlet = get_object_or_404(Outlet, domain=domain)
    articles = Article.objects.filter(outlet=outlet)
    return render(request, "reliability/outlet_detail.html", {"outlet": outlet, "articles": articles})


def source_detail(request, pk):
    source = get_object_or_404(Source, pk=pk)
    return render(request, "reliability/source_detail.html", {"source": source})
