/**
 * Training: the loaded model's training log — train and validation loss, the global gradient norm with the steps
 * where clipping fired marked and the clipping threshold drawn, the learning rate schedule, and (when the model
 * ships heads_log.csv) the strongest previous-token and induction scores at each evaluation.
 */
import { fmt } from '../traceMath';
import { createLineChart } from './lineChart';
import type { PanelActions, PanelModel, View } from './types';

export function createTraining(element: HTMLElement, actions: PanelActions): View {
  void actions;
  const note = element.appendChild(document.createElement('p'));
  note.className = 'note';
  note.setAttribute('data-testid', 'training-note');
  const loss = createLineChart(element, 'train-loss');
  const grad = createLineChart(element, 'train-grad');
  const lr = createLineChart(element, 'train-lr');
  const heads = createLineChart(element, 'train-heads');
  let drawn: unknown = {}; // never a log: the first update always draws

  return {
    update(m: PanelModel) {
      const log = m.trace.model.trainingLog;
      if (log === drawn) return;
      drawn = log;
      const charts = [loss.svg, grad.svg, lr.svg, heads.svg];
      if (!log || log.rows.length === 0) {
        note.textContent = `The model "${m.trace.model.name}" ships no training log.`;
        charts.forEach((c) => c.setAttribute('visibility', 'hidden'));
        return;
      }
      charts.forEach((c) => c.removeAttribute('visibility'));
      const rows = log.rows;
      const clipped = rows.filter((r) => r.clipped);
      const last = rows[rows.length - 1];
      const lastVal = [...rows].reverse().find((r) => Number.isFinite(r.valLoss));
      note.textContent = `${rows.length} logged steps, ${last.tokens.toLocaleString('en')} tokens. Last train loss ${fmt(last.trainLoss)}` +
        (lastVal ? `, validation loss ${fmt(lastVal.valLoss)} at step ${lastVal.step}` : '') +
        `. Clipping fired at ${clipped.length} logged steps` + (log.clipNorm !== undefined ? ` (max norm ${log.clipNorm}).` : '.');
      loss.draw({ title: 'Loss', xLabel: 'step', yLabel: 'nats per token', series: [
        { name: 'train', cls: 'series-a', points: rows.map((r) => [r.step, r.trainLoss]) },
        { name: 'validation', cls: 'series-b', points: rows.filter((r) => Number.isFinite(r.valLoss)).map((r) => [r.step, r.valLoss]) },
      ] });
      grad.draw({ title: 'Gradient norm', xLabel: 'step', yLabel: 'global L2 norm before clipping', logY: true,
        series: [{ name: 'grad norm', cls: 'series-c', points: rows.map((r) => [r.step, r.gradNorm]) }],
        markers: { name: 'clipped', cls: 'series-d', points: clipped.map((r) => [r.step, r.gradNorm]) },
        hline: log.clipNorm !== undefined ? { y: log.clipNorm, label: `clip ${log.clipNorm}` } : undefined });
      lr.draw({ title: 'Learning rate', xLabel: 'step', yLabel: 'lr', series: [{ name: 'lr', cls: 'series-e', points: rows.map((r) => [r.step, r.lr]) }] });
      if (!log.heads?.length) return void heads.svg.setAttribute('visibility', 'hidden');
      heads.draw({ title: 'Attention heads during training (best head)', xLabel: 'step', yLabel: 'attention score', series: [
        { name: 'previous-token', cls: 'series-a', points: log.heads.map((r) => [r.step, r.bestPreviousToken]) },
        { name: 'induction', cls: 'series-b', points: log.heads.map((r) => [r.step, r.bestInduction]) },
      ] });
    },
    dispose() {
      element.replaceChildren();
    },
  };
}
