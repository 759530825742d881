# Fails as a request handler would, and prints the exception's text as opentelemetry-python's
# Span.record_exception records it: traceback.format_exception of the exception, whole chain.
import json
import traceback

PRICES = {"WINTER": 10}


def price_of(item):
    return PRICES[item]  # raises: KeyError


def quote(text):
    try:
        # The standard library's json calls back into price_of: its frames are the runtime's.
        return json.loads(text, object_hook=lambda order: price_of(order["item"]))
    except KeyError as e:
        raise RuntimeError(f"cannot quote {text}") from e  # raises: RuntimeError


def handle(text):
    try:
        return quote(text)
    except RuntimeError:
        audit = None
        audit.write("quote failed")  # raises: AttributeError


try:
    handle('{"item": "SPRING"}')
except Exception as e:
    print("".join(traceback.format_exception(type(e), e, e.__traceback__)), end="")
