// without_io_uring.cpp - runs a program where the kernel refuses io_uring, as
// Docker's and Kubernetes' default seccomp profiles do: a seccomp filter makes
// io_uring_setup fail with EPERM, then exec. Used by smoke_test.cpp.
//
//   without_io_uring PROGRAM [ARGS...]
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("usage: without_io_uring PROGRAM [ARGS...]\n", stderr);
        return 2;
    }
    // Load the system call number; EPERM for io_uring_setup, allow the rest.
    std::array<sock_filter, 4> program{{
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    }};
    sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) {
        std::perror("without_io_uring: seccomp");
        return 2;
    }
    execv(argv[1], argv + 1);
    std::perror("without_io_uring: exec");
    return 2;
}
