package io.hexgate.packaging;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * operator-sdk and helm as scripts/ensure-olm-tools.sh builds them into the cache; a test needing one is
 * skipped, naming the script, when they are not built (test.sh builds them first).
 */
final class OlmTools {
  static final String SCRIPT = "scripts/ensure-olm-tools.sh";

  private static Map<String, Path> tools;

  private OlmTools() {}

  static Path operatorSdk() {
    return tool("operator-sdk");
  }

  static Path helm() {
    return tool("helm");
  }

  /** What a command printed (stdout and stderr together) and its exit code. */
  record Run(int exitCode, String output) {}

  static Run run(Path dir, List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("hexgate-tool", ".out");
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish in 2 minutes");
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static synchronized Path tool(String name) {
    if (tools == null) {
      tools = new HashMap<>();
      try {
        Run check = run(Repo.root(), List.of(Repo.root().resolve(SCRIPT).toString(), "--check"));
        // also when it exits 3: it then names those of the tools that are built
        for (String line : check.output().lines().toList()) {
          int eq = line.indexOf('=');
          if (eq > 0 && !line.startsWith("hexgate:")) {
            tools.put(line.substring(0, eq), Path.of(line.substring(eq + 1)));
          }
        }
      } catch (IOException | InterruptedException e) {
        throw new IllegalStateException("cannot run " + SCRIPT + " --check", e);
      }
    }
    Path p = tools.get(name);
    assumeTrue(p != null && Files.isExecutable(p), name + " is not built: run " + SCRIPT);
    return p;
  }

  static List<String> command(Path tool, String... args) {
    List<String> c = new ArrayList<>();
    c.add(tool.toString());
    c.addAll(List.of(args));
    return c;
  }
}
