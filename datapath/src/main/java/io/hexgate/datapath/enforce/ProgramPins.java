package io.hexgate.datapath.enforce;

import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The pins of the loaded programs ({@code prog_<name>} beside the maps). A program pin keeps the loaded
 * program findable (bpftool prog show pinned ...); the previous agent's pin is replaced, and its program
 * lives on only while a filter still runs it. The CNI attaches the not_ready pins to new pod interfaces,
 * so a pin is replaced by renaming a new one over it: it never goes missing.
 */
final class ProgramPins {
  private ProgramPins() {}

  static void replace(BpfObject obj, Path dir, List<String> programs) {
    for (String p : programs) {
      Path pin = dir.resolve("prog_" + p);
      Path fresh = dir.resolve("prog_" + p + "_new"); // bpffs names have no dots
      try {
        Files.deleteIfExists(fresh);
        obj.pinProgram(p, fresh);
        Files.move(fresh, pin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new BpfException("cannot replace the program pin " + pin + ": " + e.getMessage());
      }
    }
  }
}
