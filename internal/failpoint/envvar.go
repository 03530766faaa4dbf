package failpoint

// EnvVar names the environment variable that arms failpoints in a build with the failpoints tag;
// other builds never read it.
const EnvVar = "K2H_FAILPOINT"
