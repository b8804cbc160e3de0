# expect: none
# safe: Django's raw() with a params list: the pattern is bound as a query parameter
from django.contrib.auth.models import User
from django.http import JsonResponse


def search_users(request):
    username = request.GET.get("username", "")
    users = User.objects.raw("SELECT * FROM auth_user WHERE username LIKE %s", [f"%{username}%"])
    return JsonResponse({"users": [u.username for u in users]})
