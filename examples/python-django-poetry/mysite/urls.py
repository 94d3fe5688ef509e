import sys

import django
from django.http import HttpRequest, HttpResponse
from django.urls import path


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"hello from django {django.get_version()} on python {sys.version.split()[0]} (poetry)\n",
                        content_type="text/plain")


urlpatterns = [path("", index)]
