package cli

import "golang.org/x/sys/unix"

// Filesystems whose changes inotify does not see: edits made on the other
// side (Windows, the file server) never raise an event here.
var noEventFS = map[uint32]string{
	0x6969:     "an NFS share",
	0x517b:     "an SMB share",
	0xff534d42: "a CIFS share",
	0xfe534d42: "an SMB2 share",
	0x01021997: "a 9p share: a Windows drive under WSL 2, or a VM's shared folder",
	0x53464846: "a Windows drive under WSL",
}

// pollReason says why dir must be polled, or "" when file events work.
func pollReason(dir string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return ""
	}
	if what, ok := noEventFS[uint32(st.Type)]; ok {
		return "the workspace is on " + what
	}
	return ""
}
