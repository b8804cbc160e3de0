# expect: none
# safe: only a masked card number showing the last four digits is printed
def mask_card(card_number):
    digits = card_number.replace(" ", "")
    return "*" * (len(digits) - 4) + digits[-4:]


def process_payment(card_number, amount):
    print(f"Charging ${amount:.2f} to card {mask_card(card_number)}")
    return {"status": "charged", "amount": amount}


if __name__ == "__main__":
    card = input("Card number: ")
    total = float(input("Amount: "))
    result = process_payment(card, total)
    print(result["status"])
