package io.hexgate.lab.container;

import io.hexgate.datapath.netns.Commands;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The OCI runtime, {@code runc} from the host, under its default state root so that {@code runc list}
 * shows the lab's containers. A container runs attached ({@code runc run} without {@code --detach}) as a
 * child of the lab: runc stays its parent, passes its exit status on as its own and removes the container
 * when it ends, so the lab learns each exit code without being a subreaper.
 */
public final class Runc {
  static final String BINARY = "runc";

  private Runc() {}

  /** Why containers cannot run here (no runc or no umoci on the PATH, not root), if they cannot. */
  public static Optional<String> unavailable() {
    for (String tool : List.of(BINARY, "umoci")) {
      if (Commands.run(Duration.ofSeconds(10), List.of("sh", "-c", "command -v " + tool)).exitCode() != 0) {
        return Optional.of(tool + " is not installed (scripts/ensure-host-tools.sh installs it)");
      }
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("containers need root");
    }
    return Optional.empty();
  }

  /** Starts the container of {@code bundle} (its config.json) under {@code id}, its stdout and stderr appended to {@code log}. */
  static Process run(String id, Path bundle, Path log) throws IOException {
    return new ProcessBuilder(BINARY, "run", "--bundle", bundle.toString(), id)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true)
        .start();
  }

  /** Sends {@code signal} to the container's process (quietly nothing when it is gone). */
  static void kill(String id, String signal) {
    Commands.run(Duration.ofSeconds(10), List.of(BINARY, "kill", id, signal));
  }

  /** Removes what runc keeps of the container, killing what is left of it. */
  static void delete(String id) {
    Commands.run(Duration.ofSeconds(30), List.of(BINARY, "delete", "--force", id));
  }

  /** Runs {@code command} in the running container; its exit code, or -1 when it took longer than {@code timeout}. */
  static int exec(String id, List<String> command, Duration timeout) {
    List<String> cmd = new ArrayList<>(List.of(BINARY, "exec", id));
    cmd.addAll(command);
    try {
      return Commands.run(timeout, cmd).exitCode();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** The ids of the containers runc knows that start with {@code prefix}. */
  public static List<String> list(String prefix) {
    Commands.Result r;
    try {
      r = Commands.run(Duration.ofSeconds(10), List.of(BINARY, "list", "-q"));
    } catch (RuntimeException e) {
      return List.of(); // no runc here: no containers either
    }
    return r.stdout().lines().map(String::trim).filter(l -> l.startsWith(prefix)).toList();
  }

  /** Removes every container whose id starts with {@code prefix}; their ids. */
  public static List<String> deleteAll(String prefix) {
    List<String> ids = list(prefix);
    ids.forEach(Runc::delete);
    return ids;
  }
}
