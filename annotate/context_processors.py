from .models import is_lead


def roles(request):
    return {"is_lead": is_lead(request.user) if hasattr(request, "user") else False}
