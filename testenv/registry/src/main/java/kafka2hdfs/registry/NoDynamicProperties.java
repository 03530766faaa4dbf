package kafka2hdfs.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The list of runtime-editable settings that Apicurio's config-index extension would build at
 * augmentation time. Its deployment artifact is not served here (see ../../../../../pom.xml), so
 * the registry runs without runtime-editable settings: an empty list.
 */
public class NoDynamicProperties {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList none() {
        return new DynamicConfigPropertyList(List.of());
    }
}
