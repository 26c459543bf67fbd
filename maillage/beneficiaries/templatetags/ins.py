"""``{% ins_block b %}``: the INS of a qualified identity on a PDF — the DataMatrix and the
human-readable INS beside it (``beneficiaries.ins_datamatrix``); nothing for any other
identity."""

from django import template

from maillage.beneficiaries.ins_datamatrix import for_document

register = template.Library()


@register.inclusion_tag("beneficiaries/ins_block_pdf.html")
def ins_block(beneficiary):
    return {"ins": for_document(beneficiary)}
