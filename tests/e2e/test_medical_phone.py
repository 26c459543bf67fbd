"""The medical section on a phone (390 px): the stacked table of the vital signs keeps its
labels whole (« Source » was cut as « Sourc / e » by a long device name). axe-core too."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from maillage.beneficiaries.tests.factories import shared_file
from maillage.beneficiaries.vitals import vital_sign_record
from maillage.core.roles import Role

#: The stacked cells whose label (their ``::before``) is narrower than its longest word, i.e.
#: broken inside a word: the label's box ends where the cell's value starts.
BROKEN_LABELS = """() => {
    const context = document.createElement('canvas').getContext('2d');
    const broken = [];
    for (const td of document.querySelectorAll('.table-responsive-stack td[data-label]')) {
        const before = getComputedStyle(td, '::before');
        if (before.content === 'none' || !td.textContent.trim()) continue;
        const style = getComputedStyle(td);
        const range = document.createRange();
        range.selectNodeContents(td);
        const valueLeft = Math.min(...[...range.getClientRects()].map(r => r.left));
        const room = valueLeft - td.getBoundingClientRect().left - parseFloat(style.paddingLeft)
                     - parseFloat(before.marginRight) - parseFloat(style.columnGap || 0);
        context.font = `${before.fontWeight} ${before.fontSize} ${before.fontFamily}`;
        const widest = Math.max(...td.dataset.label.split(/\\s+/)
                                  .map(w => context.measureText(w).width));
        if (widest > room + 0.5) broken.push(`${td.dataset.label} (${widest} > ${room})`);
    }
    return broken;
}"""


def test_vital_signs_table_on_a_phone(transactional_db, open_page, users, crt_a):
    b = shared_file(crt_a, users["doctor"], {Role.DOCTOR})
    now = timezone.now()
    vital_sign_record(actor=users["doctor"], beneficiary=b, kind="blood_pressure",
                      systolic=127, diastolic=79, measured_at=now - timedelta(hours=2),
                      source="telemonitoring",
                      device="Tensiomètre connecté Withings BPM Connect Pro")
    vital_sign_record(actor=users["doctor"], beneficiary=b, kind="body_weight", value=61,
                      measured_at=now - timedelta(hours=1))
    p = open_page(width=390, height=844).sign_in(users["doctor"])
    p.goto(reverse("beneficiaries:medical", args=[b.public_id]))
    assert p.page.get_by_text("127/79 mmHg").is_visible()
    assert p.page.evaluate(BROKEN_LABELS) == []
    assert p.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    p.check_accessibility()
