// Runs the Java AdminClient against a broker and prints what it saw as one JSON line:
// describeCluster() (cluster id, controller, nodes) and listTopics().
// Usage: java -cp 'tools/kafka-ref/lib/*' DescribeCluster.java host:port
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;

public class DescribeCluster {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "20000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult cluster = admin.describeCluster();
            String clusterId = cluster.clusterId().get(30, TimeUnit.SECONDS);
            Node controller = cluster.controller().get(30, TimeUnit.SECONDS);
            String nodes = cluster.nodes().get(30, TimeUnit.SECONDS).stream()
                .map(n -> String.format("{\"id\":%d,\"host\":\"%s\",\"port\":%d}", n.id(), n.host(), n.port()))
                .collect(Collectors.joining(","));
            String topics = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .map(t -> "\"" + t + "\"").collect(Collectors.joining(","));
            System.out.printf("{\"clusterId\":\"%s\",\"controller\":%d,\"nodes\":[%s],\"topics\":[%s]}%n",
                clusterId, controller == null ? -1 : controller.id(), nodes, topics);
        }
    }
}
