import { strict as assert } from 'node:assert';
import { fateOfRange } from '../../src/editor/range-shift-logic';

const ins = (at: number, text: string) => ({ rangeOffset: at, rangeLength: 0, text });
const del = (at: number, length: number) => ({ rangeOffset: at, rangeLength: length, text: '' });

describe('editor: range shifting on edits', () => {
  // analysed range [10, 20)
  it('shifts on an insertion or deletion before the range', () => {
    assert.deepEqual(fateOfRange(10, 20, [ins(3, 'abc')]), { kind: 'shift', delta: 3 });
    assert.deepEqual(fateOfRange(10, 20, [del(2, 5)]), { kind: 'shift', delta: -5 });
  });
  it('counts an insertion exactly at the start as before, and a deletion ending at the start too', () => {
    assert.deepEqual(fateOfRange(10, 20, [ins(10, 'xy')]), { kind: 'shift', delta: 2 });
    assert.deepEqual(fateOfRange(10, 20, [del(7, 3)]), { kind: 'shift', delta: -3 });
  });
  it('keeps the range for edits at or after its end', () => {
    assert.deepEqual(fateOfRange(10, 20, [ins(20, 'z')]), { kind: 'keep' });
    assert.deepEqual(fateOfRange(10, 20, [del(25, 4)]), { kind: 'keep' });
  });
  it('drops the range for an edit inside it or across a boundary', () => {
    assert.deepEqual(fateOfRange(10, 20, [ins(15, 'q')]), { kind: 'drop' });
    assert.deepEqual(fateOfRange(10, 20, [del(8, 4)]), { kind: 'drop' });
    assert.deepEqual(fateOfRange(10, 20, [del(19, 3)]), { kind: 'drop' });
    assert.deepEqual(fateOfRange(10, 20, [{ rangeOffset: 0, rangeLength: 30, text: 'all new' }]), { kind: 'drop' });
  });
  it('applies several changes of one event in turn (multi-cursor)', () => {
    // VS Code lists a multi-cursor edit last-first: after the range, then before it twice.
    assert.deepEqual(fateOfRange(10, 20, [ins(30, 'a'), ins(5, 'bb'), ins(1, 'c')]), { kind: 'shift', delta: 3 });
    assert.deepEqual(fateOfRange(10, 20, [ins(2, 'bb'), ins(13, 'c')]), { kind: 'drop' });
  });
  it('treats an undo that restores the offset as a net zero shift', () => {
    assert.deepEqual(fateOfRange(10, 20, [ins(0, 'ab'), del(0, 2)]), { kind: 'keep' });
  });
});
