package io.hexgate.lab.hubble;

import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The stock {@code hubble} CLI as {@code scripts/ensure-hubble.sh} builds it once into a cache outside the
 * checkout (one pinned release, unchanged), for tests that prove Hexgate's Hubble servers speak its wire.
 */
public final class HubbleBinary {
  public static final String SCRIPT = "scripts/ensure-hubble.sh";
  /** A cold build on 2 cores, with room to spare. */
  private static final long BUILD_MINUTES = 30;

  private HubbleBinary() {}

  /** The binary, built first if needed; empty (with why on {@code progress}) when it cannot be had. */
  public static Optional<Path> ensure(Path hexgateHome, PrintStream progress) throws IOException, InterruptedException {
    return executable(ControlPlaneBinaries.runBuildScript(hexgateHome.resolve(SCRIPT), List.of(), "hubble", BUILD_MINUTES, progress));
  }

  /** The binary if it is built, without building anything; empty (with why on {@code progress}) otherwise. */
  public static Optional<Path> built(Path hexgateHome, PrintStream progress) throws IOException, InterruptedException {
    return executable(ControlPlaneBinaries.runBuildScript(hexgateHome.resolve(SCRIPT), List.of("--if-built"), "hubble", 1, progress));
  }

  private static Optional<Path> executable(Optional<Path> printed) {
    return printed.filter(Files::isExecutable);
  }
}
