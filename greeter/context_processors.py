from django.http import HttpRequest


def return_path(request: HttpRequest) -> dict[str, str]:
    """Where the language selector brings the visitor back to: this page."""
    return {"return_path": request.get_full_path()}
