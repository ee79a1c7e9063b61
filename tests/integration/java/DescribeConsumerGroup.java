// Describes one consumer group with the Java AdminClient (Admin.describeConsumerGroups, which sends
// ConsumerGroupDescribe for groups of the consumer protocol) and prints one JSON line:
//   {"type":..,"state":..,"assignor":..,"groupEpoch":..,"assignmentEpoch":..,
//    "members":[{"clientId":..,"host":..,"memberEpoch":..,"assigned":[p,..],"target":[p,..]},..]}
// Usage: java -cp 'tools/kafka-ref/lib/*' DescribeConsumerGroup.java host:port group
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.TopicPartition;

public class DescribeConsumerGroup {
    static String partitions(Collection<TopicPartition> tps) {
        return tps.stream().map(TopicPartition::partition).sorted().map(String::valueOf)
            .collect(Collectors.joining(",", "[", "]"));
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        try (Admin admin = Admin.create(p)) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(args[1]))
                .describedGroups().get(args[1]).get(30, TimeUnit.SECONDS);
            List<String> members = new ArrayList<>();
            for (MemberDescription m : d.members()) {
                String target = m.targetAssignment().map(a -> partitions(a.topicPartitions())).orElse("null");
                members.add(String.format("{\"memberId\":\"%s\",\"clientId\":\"%s\",\"host\":\"%s\",\"memberEpoch\":%d,\"assigned\":%s,\"target\":%s}",
                    m.consumerId(), m.clientId(), m.host(), m.memberEpoch().orElse(-1), partitions(m.assignment().topicPartitions()),
                    target));
            }
            System.out.printf("{\"type\":\"%s\",\"state\":\"%s\",\"assignor\":\"%s\",\"groupEpoch\":%d,"
                    + "\"assignmentEpoch\":%d,\"members\":[%s]}%n",
                d.type(), d.groupState(), d.partitionAssignor(), d.groupEpoch().orElse(-1),
                d.targetAssignmentEpoch().orElse(-1), String.join(",", members));
        }
    }
}
