# expect: regex-injection line 12
import re

from django.http import JsonResponse

with open("manual.txt", encoding="utf-8") as f:
    DOCUMENT = f.read()


def count_word(request):
    word = request.GET.get("word", "")
    regex = re.compile(word, re.IGNORECASE)
    count = len(regex.findall(DOCUMENT))
    return JsonResponse({"word": word, "count": count})
