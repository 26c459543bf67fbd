"""``{% timeline_blocks row.blocks %}``: the blocks of one timeline row (visits.timeline)."""

from django import template

from maillage.visits.timeline import blocks_html

register = template.Library()


@register.simple_tag
def timeline_blocks(blocks):
    return blocks_html(blocks)
