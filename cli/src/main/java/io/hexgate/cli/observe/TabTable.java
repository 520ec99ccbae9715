package io.hexgate.cli.observe;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Rows aligned the way Go's text/tabwriter aligns tab-separated cells (space padding, no flags): every cell
 * but a row's last is padded to its column's widest cell plus the padding, and at least the minimum width.
 */
final class TabTable {
  private final int minWidth;
  private final int padding;
  private final List<List<String>> rows = new ArrayList<>();

  TabTable(int minWidth, int padding) {
    this.minWidth = minWidth;
    this.padding = padding;
  }

  void add(List<String> cells) {
    rows.add(List.copyOf(cells));
  }

  /** Prints the rows held so far and forgets them. */
  void printTo(PrintStream out) {
    int columns = rows.stream().mapToInt(List::size).max().orElse(0);
    int[] widths = new int[columns];
    for (List<String> row : rows) {
      for (int c = 0; c < row.size() - 1; c++) {
        widths[c] = Math.max(widths[c], Math.max(minWidth, width(row.get(c)) + padding));
      }
    }
    StringBuilder b = new StringBuilder();
    for (List<String> row : rows) {
      for (int c = 0; c < row.size(); c++) {
        String cell = row.get(c);
        b.append(cell);
        if (c < row.size() - 1) {
          b.append(" ".repeat(widths[c] - width(cell)));
        }
      }
      b.append('\n');
    }
    out.print(b);
    rows.clear();
  }

  private static int width(String s) {
    return s.codePointCount(0, s.length());
  }
}
