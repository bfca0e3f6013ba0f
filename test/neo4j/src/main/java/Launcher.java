// Test-only Neo4j server: embedded Neo4j 5.26 with Bolt on 127.0.0.1:PORT, data in DATADIR, auth on with a known password.
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

public final class Launcher {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: Launcher PORT DATADIR [PASSWORD]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    Path home = Path.of(args[1]).toAbsolutePath();
    String password = args.length > 2 ? args[2] : System.getenv().getOrDefault("NEO4J_TEST_PASSWORD", "test-password");

    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, true)
        // Small heap-friendly settings: tests create a few hundred nodes at most.
        .setConfig(GraphDatabaseSettings.pagecache_memory, 32L * 1024 * 1024)
        .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
        .build();

    // Embedded calls bypass auth, so the system database is where the known test password is set.
    // On a restart over the same data the password is already set, and Neo4j refuses to "change" it to itself.
    GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    try {
      system.executeTransactionally(
          "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", java.util.Map.of("pw", password));
    } catch (RuntimeException e) {
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
        e.printStackTrace();
        dbms.shutdown();
        System.exit(1);
      }
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      dbms.shutdown();
      stopped.countDown();
    }));
    // The test runner holds our stdin: when it goes away (even by SIGKILL) we stop, so no server outlives its tests.
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // drain
        }
      } catch (java.io.IOException ignored) {
        // treat as closed
      }
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    System.out.println("NEO4J READY bolt://127.0.0.1:" + port);
    System.out.flush();
    stopped.await();
  }
}
