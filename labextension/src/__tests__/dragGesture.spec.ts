import { CELLS_MIME, DRAG_THRESHOLD, isDrag, loadCells } from '../dragGesture';
import { loadCell } from '../datasetModel';

describe('dragging a dataset into a notebook', () => {
  it('starts a drag only once the pointer has moved the threshold', () => {
    expect(isDrag(10, 10, 10, 10)).toBe(false);
    expect(isDrag(10, 10, 10 + DRAG_THRESHOLD - 1, 10 - 3)).toBe(false);
    expect(isDrag(10, 10, 10 + DRAG_THRESHOLD, 10)).toBe(true);
    expect(isDrag(10, 10, 10, 10 - DRAG_THRESHOLD)).toBe(true);
  });

  it('carries one code cell in the shape a notebook inserts', () => {
    expect(CELLS_MIME).toBe('application/vnd.jupyter.cells');
    expect(loadCells(loadCell('iris', ''))).toEqual([
      {
        cell_type: 'code',
        source: 'import kamld\ndf = kamld.load("iris")\ndf.head()',
        metadata: {},
        outputs: [],
        execution_count: null
      }
    ]);
  });

  it('names the ref in the load cell when one is given', () => {
    expect(loadCell('iris', 'v3')).toBe(
      'import kamld\ndf = kamld.load("iris@v3")\ndf.head()'
    );
  });
});
