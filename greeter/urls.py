from django.urls import path

from greeter import views

app_name = "greeter"
urlpatterns = [
    path("", views.index, name="index"),
    # The seed's route and field name; a post now needs the CSRF cookie and token
    # from GET / (docs/docker-workflow.md: a client other than a browser).
    path("greet", views.greet, name="greet"),
]
