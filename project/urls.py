from django.urls import include, path

urlpatterns = [
    # set_language: the language selector posts here and gets the language cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("greeter.urls")),
]
