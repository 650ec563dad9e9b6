// report.html: one self-contained page (inline CSS, inline SVG charts, images as data: URIs, no script
// that runs, nothing fetched at view time). The data it shows is also embedded as JSON.
import type { Chart } from './report_charts';
import type { ReportData } from './records';

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

function table(rows: [string, unknown][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`).join('')}</table>`;
}

function status(d: ReportData): string {
  const done = d.history.length;
  const planned = d.epochsPlanned === null ? 'an unknown number of' : d.epochsPlanned;
  const state = d.complete ? 'complete' : 'partial (stopped, killed or still running)';
  const best = d.best ? `; best test accuracy ${fmt(d.best.accuracy, 2)} % at epoch ${d.best.epoch}` : '';
  const skipped = d.skippedLogLines ? `; ${d.skippedLogLines} unreadable line(s) of log.jsonl skipped` : '';
  return `<p class="status">${done} of ${planned} epochs logged: ${state}${best}${skipped}.</p>`;
}

function epochTable(d: ReportData): string {
  if (!d.history.length) return '<p class="missing">No epoch finished yet: log.jsonl has no record.</p>';
  const head = ['epoch', 'lr', 'train loss', 'train acc %', 'test loss', 'test acc %', 'train s', 'total s'];
  const rows = d.history.map((r) =>
    [r.epoch, r.lr.toPrecision(4), fmt(r.trainLoss, 4), fmt(r.trainAcc, 2), fmt(r.testLoss, 4), fmt(r.testAcc, 2), fmt(r.trainSeconds, 1), fmt(r.seconds, 1)]
      .map((v) => `<td>${esc(v)}</td>`)
      .join(''),
  );
  return `<table class="epochs"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join('')}</tbody></table>`;
}

function misclassified(d: ReportData): string {
  const ev = d.evaluation;
  if (!ev) return '';
  if (!ev.misclassified.length) return '<p>No test image is misclassified.</p>';
  const cells = ev.misclassified.map(
    (m) =>
      `<figure class="sample"><img src="${m.png}" width="64" height="64" alt="test image ${m.index}"><figcaption>#${m.index}<br>true <b>${esc(ev.classes[m.trueClass])}</b><br>predicted <b>${esc(ev.classes[m.predicted])}</b> (${fmt(100 * m.confidence, 1)} %)</figcaption></figure>`,
  );
  return `<div class="samples">${cells.join('')}</div>`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.status{color:#444}.missing{color:#a60}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0;border:1px solid #eee;padding:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:2px 8px;text-align:right}
table.kv th{text-align:left;background:#f6f6f6}table.kv td{text-align:left;font-family:monospace}
.samples{display:flex;flex-wrap:wrap;gap:8px}.sample{margin:0;width:120px;font-size:11px;text-align:center}
.sample img{image-rendering:pixelated;display:block;margin:0 auto 2px}
.cols{display:flex;flex-wrap:wrap;gap:32px}
`;

export function renderHtml(d: ReportData, charts: Chart[], svgs: Map<string, string>): string {
  const figure = (c: Chart) => `<figure class="chart" id="chart-${c.name}" data-chart="${c.name}">${svgs.get(c.name)}</figure>`;
  const epochCharts = charts.filter((c) => !['per-class-accuracy', 'confusion'].includes(c.name));
  const evalCharts = charts.filter((c) => ['per-class-accuracy', 'confusion'].includes(c.name));
  const ev = d.evaluation;
  const evalText = ev
    ? `<p>The best model (${d.best ? `epoch ${d.best.epoch}` : ''}) on ${ev.total} test images: ${fmt(ev.accuracy, 2)} % correct, mean loss ${fmt(ev.loss, 4)}.</p>`
    : `<p class="missing">No evaluation: ${esc(d.evaluationNote)}.</p>`;
  const run = d.run;
  // The embedded copy of the data, minus the images already in the page; '<' escaped so it cannot end the element.
  const json = JSON.stringify({ ...d, evaluation: ev && { ...ev, misclassified: ev.misclassified.map(({ png, ...m }) => m) } }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Training report: ${esc(d.dir)}</title><style>${CSS}</style></head>
<body>
<h1>Training report</h1>
<p>${esc(d.dir)} · made ${esc(d.generatedAt)}${run ? ` · run started ${esc(run.startedAt)}` : ''}</p>
${status(d)}
<h2>Per epoch</h2>
<div class="charts">${epochCharts.map(figure).join('')}</div>
${epochTable(d)}
<h2>Best model on the test set</h2>
${evalText}
<div class="charts">${evalCharts.map(figure).join('')}</div>
${ev ? `<h2>Most confidently misclassified test images</h2>${misclassified(d)}` : ''}
<h2>Configuration</h2>
${run ? table(Object.entries(run.options)) : '<p class="missing">No config.json in this folder (a run from before it was written).</p>'}
<h2>Versions and machine</h2>
<div class="cols">
${run ? `<div><h3>the run</h3>${table([...Object.entries(run.versions), ...Object.entries(run.machine)])}</div>` : ''}
<div><h3>this report</h3>${table([...Object.entries(d.reportEnvironment.versions), ...Object.entries(d.reportEnvironment.machine)])}</div>
</div>
<script type="application/json" id="report-data">${json}</script>
</body></html>
`;
}
