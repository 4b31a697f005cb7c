def return_path(request):
    """Where the language selector brings the visitor back to: this page."""
    return {"return_path": request.get_full_path()}
