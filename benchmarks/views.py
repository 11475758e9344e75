"""The anchor: a bare Django page listing 25 rows (one query, a small template). Every page
of the bench is reported as a multiple of its time, served the same way in the same run."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from members.models import Member


def anchor(request: HttpRequest) -> HttpResponse:
    rows = Member.objects.order_by("pk").values_list("legal_name", "country")[:25]
    return render(request, "benchmarks/anchor.html", {"rows": rows})
