package trino

// HiveOnS3 is a Hive catalog that reads s3:// locations on an S3-compatible endpoint (MinIO on loopback in
// tests) with Trino's native S3 file system, and keeps its tables in a file metastore (no Hive Metastore
// service) at metastoreDir, an s3:// folder. A catalog has exactly one file system, so the metastore lives on
// the same S3 endpoint; put it outside kamld's bucket or prefix so that the datasets' store holds only
// kamld's objects.
//
// It allows system.register_partition, which the kamld Trino backend uses to make a folder of part files one
// table without copying them.
func HiveOnS3(name, endpoint, accessKey, secretKey, metastoreDir string) Catalog {
	return Catalog{Name: name, Properties: map[string]string{
		"connector.name":                          "hive",
		"hive.metastore":                          "file",
		"hive.metastore.catalog.dir":              metastoreDir,
		"hive.allow-register-partition-procedure": "true",
		"fs.native-s3.enabled":                    "true",
		"s3.endpoint":                             "http://" + endpoint,
		"s3.region":                               "us-east-1",
		"s3.path-style-access":                    "true",
		"s3.aws-access-key":                       accessKey,
		"s3.aws-secret-key":                       secretKey,
	}}
}
