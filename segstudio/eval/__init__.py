"""Metrics and comparison of label sets (Qt-free, torch-free).

- `compare.evaluate(images, categories, options)`: every metric of predictions vs ground truth
  (optimal matching, TP/FP/FN, IoU/Dice/boundary F, confusion, COCO AP/AR);
- `project_eval.compare_label_sets(project, gt, pred)`: the same over two label sets of a project;
- `cocofiles.load_coco_pair(gt.json, results.json)`: the file-based form;
- `predictions.import_predictions(project, source, name)`: predictions as a label set;
- `queue.ReviewQueue`, `report.write_html / write_csv`.
See docs/review.md.  (`noc.py`, the interactive-segmentation protocol, is the models area's.)
"""
