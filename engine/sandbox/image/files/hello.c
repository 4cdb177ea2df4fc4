/* The hello-world image's only program: proves that the daemon pulled an image, created a
 * container from it and streamed its output back to your client. */
#include <unistd.h>
static const char msg[] =
  "\n"
  "Hello from Docker!\n"
  "你好，Docker！看到这段话，说明你的 Docker 安装一切正常。\n"
  "\n"
  "刚才发生了这些事 / What just happened:\n"
  " 1. docker 客户端把请求发给了 Docker 守护进程 (the client contacted the daemon).\n"
  " 2. 守护进程在本地找到了 hello-world 镜像 (或从镜像仓库拉取了它).\n"
  " 3. 守护进程用这个镜像创建了一个容器，运行了里面的程序 (this one).\n"
  " 4. 守护进程把程序的输出送回客户端，显示在你的终端里.\n"
  "\n"
  "再试试更有意思的 / Try something more ambitious:\n"
  " $ docker run -it debian bash\n"
  "\n";
int main(void) { return write(1, msg, sizeof msg - 1) == (long)(sizeof msg - 1) ? 0 : 1; }
