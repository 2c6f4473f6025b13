// SPDX-License-Identifier: MIT
/*
 * The HTML writer of a run's report (--html FILE): one self-contained
 * page telling the run's story from its report and trace (html.h), the
 * legend of the diagram's colours after it.
 */
#include "html.h"
#include "report.h"
#include "report_int.h"

static void html_finish(const struct lab_report *r, FILE *f)
{
	char title[200], name[160];

	snprintf(title, sizeof(title), "hplab run: %s", lab_report_title(r, name, sizeof(name)));
	lab_html_begin(f, title);
	lab_html_story(f, r, 2);
	fputs("<h2>Legend</h2>\n", f);
	lab_html_seq_legend(f);
	lab_html_end(f);
}

const struct lab_report_writer lab_report_html = {
	.finish = html_finish,
};
